//! Links and image sources: do they parse, are they secure, do they lead to the internet (and not to
//! a developer's machine or a staging server), and does a link's text show the site it goes to?

use std::net::{Ipv4Addr, Ipv6Addr};

use url::{Host, Url};

use super::html::{Html, Link};
use super::{Collector, Place, Severity, merge, shorten};

/// Two-label public suffixes common in our readers' mail. Without the Public Suffix List this is
/// an approximation: `shop.co.uk` is one site, `a.github.io` and `b.github.io` are two.
const TWO_LABEL_SUFFIXES: &[&str] = &[
    "co.uk",
    "org.uk",
    "ac.uk",
    "gov.uk",
    "me.uk",
    "ltd.uk",
    "plc.uk",
    "co.at",
    "or.at",
    "ac.at",
    "gv.at",
    "com.au",
    "net.au",
    "org.au",
    "co.nz",
    "co.jp",
    "com.br",
    "com.tr",
    "co.za",
    "com.cn",
    "com.mx",
    "co.in",
    "co.il",
    "com.ar",
    "com.sg",
    "com.hk",
    "co.kr",
    "com.pl",
    "github.io",
    "gitlab.io",
    "netlify.app",
    "vercel.app",
    "herokuapp.com",
    "pages.dev",
    "web.app",
    "firebaseapp.com",
    "azurewebsites.net",
    "blogspot.com",
    "wordpress.com",
];

/// Top-level domains that exist only in private networks or documentation (RFC 2606, RFC 6761,
/// RFC 6762, RFC 8375, ICANN's `.internal`), and the home-network names routers hand out.
const RESERVED_TLDS: &[&str] =
    &["local", "localhost", "test", "example", "invalid", "internal", "lan", "localdomain", "home.arpa", "intranet"];

/// Tunnels that expose a developer's machine; their links die with the laptop.
const TUNNELS: &[&str] = &[
    "ngrok.io",
    "ngrok.app",
    "ngrok-free.app",
    "ngrok-free.dev",
    "trycloudflare.com",
    "loca.lt",
    "localhost.run",
    "serveo.net",
];

/// Subdomain labels of non-production servers (`staging.shop.de`, `dev.shop.de`, `test.shop.de`).
const STAGING_LABELS: &[&str] =
    &["staging", "stage", "stg", "dev", "develop", "development", "test", "testing", "qa", "uat", "sandbox", "preprod"];

/// Prefixes of such labels, followed by `-` or a digit (`staging2`, `dev-eu`, `preview-42`).
const STAGING_PREFIXES: &[&str] =
    &["staging", "stage", "stg", "dev", "test", "qa", "uat", "sandbox", "preview", "preprod"];

/// Generic top-level domains a link text may end with to count as a domain name (two-letter
/// country codes always count).
const GENERIC_TLDS: &[&str] = &[
    "com", "net", "org", "info", "biz", "shop", "store", "online", "site", "app", "dev", "email", "bank", "club",
    "blog", "news", "tech", "cloud", "digital", "media", "berlin", "hamburg", "koeln", "bayern", "nrw", "wien",
    "swiss", "gmbh", "travel", "xyz", "top", "live", "pro", "services", "company", "page", "link", "click", "museum",
    "gov", "edu", "mobi", "name",
];

/// What a link or image source is.
enum Target {
    /// An `http(s)` URL.
    Web(Url),
    /// `#anchor`, `mailto:`, `tel:`, `sms:`, `cid:`, `data:`: nothing to check further.
    Other,
}

/// Checks the links and images of one HTML part.
pub(crate) fn check_html(part: usize, html: &Html, out: &mut Collector) {
    for link in &html.links {
        let place = || Place::link(part, link);
        if let Some(Target::Web(url)) = check_target(&link.href, false, place, out) {
            check_link_text(html, link, &url, place, out);
        }
    }
    for image in &html.images {
        let place = || Place::image(part, image);
        match image.src.as_deref() {
            Some(src) => {
                check_target(src, true, place, out);
            }
            None => out.add(
                "link-invalid",
                Severity::Error,
                place(),
                "The image has no src attribute, so it shows as a broken picture: add the image's https:// URL.".into(),
            ),
        }
    }
}

/// Checks a URL written in a text part (only `http://` and `https://` ones are found there).
pub(crate) fn check_text_url(part: usize, line: usize, url: &str, out: &mut Collector) {
    if let Ok(parsed) = Url::parse(url) {
        check_web(url, &parsed, false, || Place::text(part, line), out);
    }
}

/// `href` or `src`: reports what is wrong with it, and returns what it is when it can be used.
fn check_target(raw: &str, image: bool, place: impl Fn() -> Place, out: &mut Collector) -> Option<Target> {
    if !merge::leftovers(&percent_decode(raw)).is_empty() {
        // `merge-tag-unresolved` says it; one cause, one finding.
        return None;
    }
    match classify(raw, image) {
        Err(reason) => {
            out.add_once("link-invalid", Severity::Error, raw, place(), reason);
            None
        }
        Ok(Target::Web(url)) => {
            check_web(raw, &url, image, place, out);
            Some(Target::Web(url))
        }
        Ok(other) => Some(other),
    }
}

fn check_web(raw: &str, url: &Url, image: bool, place: impl Fn() -> Place, out: &mut Collector) {
    let what = if image { "image" } else { "link" };
    if let Some(reason) = local_reason(url) {
        let host = url.host_str().unwrap_or_default();
        let message = format!(
            "The {what} points to {host}, {reason}: readers cannot reach it. Use the public address of the page."
        );
        out.add_once("link-local", Severity::Error, raw, place(), message);
    } else if url.scheme() == "http" {
        let message = if image {
            "The image is loaded over http://: some clients block it and others mark the message as not secure. \
             Use https://."
        } else {
            "The link uses http://: browsers warn about it and the click can be read or changed on the way. \
             Use https://."
        };
        out.add_once("link-insecure", Severity::Warning, raw, place(), message.into());
    }
}

/// What a link or image source is, or why it cannot work.
fn classify(raw: &str, image: bool) -> Result<Target, String> {
    let value = raw.trim_matches(|c: char| c.is_ascii_whitespace());
    if value.is_empty() {
        return Err(format!("The {} is empty: it leads nowhere. Add the full https:// URL.", noun(image)));
    }
    if value.starts_with('#') && !image {
        return Ok(Target::Other);
    }
    let lower = value.to_ascii_lowercase();
    if lower.starts_with("javascript:") || lower.starts_with("vbscript:") {
        return Err("Email clients do not run scripts, and mail with javascript: links looks like an attack: \
                    link to a web page instead."
            .into());
    }
    let url = Url::parse(value).map_err(|e| match e {
        url::ParseError::RelativeUrlWithoutBase => format!(
            "The {} \"{}\" is relative, but an email has no base address to resolve it against: use the full \
             https:// URL.",
            noun(image),
            shorten(value, 80)
        ),
        e => format!(
            "The {} \"{}\" is not a valid URL ({e}): check for typos and spaces.",
            noun(image),
            shorten(value, 80)
        ),
    })?;
    match (url.scheme(), image) {
        ("http" | "https", _) => web_host(value, &url).map(|()| Target::Web(url)),
        ("mailto" | "tel" | "sms", false) if !url.path().trim().is_empty() => Ok(Target::Other),
        ("mailto" | "tel" | "sms", false) => {
            Err(format!("The {}: link has no address or number after the colon.", url.scheme()))
        }
        ("cid" | "data", true) => Ok(Target::Other),
        (scheme, _) => Err(format!(
            "The {} uses the scheme \"{scheme}:\", which email clients do not open: use https:// (or mailto:, \
             tel: or sms: for links).",
            noun(image)
        )),
    }
}

fn noun(image: bool) -> &'static str {
    if image { "image source" } else { "link" }
}

/// The URL parser forgives `http:///x` and `http://https://x`; browsers in mail clients may not.
fn web_host(raw: &str, url: &Url) -> Result<(), String> {
    let after_scheme = raw.split_once(':').map_or("", |(_, rest)| rest);
    let authority = after_scheme.trim_start_matches(['/', '\\']);
    if after_scheme.len() - authority.len() > 2 || authority.starts_with(['/', '?', '#']) || authority.is_empty() {
        return Err(format!("\"{}\" has no host name: write https://host/path.", shorten(raw, 80)));
    }
    match url.host() {
        Some(Host::Domain(d)) if !d.contains('.') && d != "localhost" => Err(format!(
            "The host \"{d}\" in \"{}\" is not a full domain name (no dot): check for a doubled https:// or a \
             missing .de/.com.",
            shorten(raw, 80)
        )),
        None => Err(format!("\"{}\" has no host name: write https://host/path.", shorten(raw, 80))),
        _ => Ok(()),
    }
}

/// Why a URL's host is not on the public internet, if it is not.
pub(crate) fn local_reason(url: &Url) -> Option<String> {
    match url.host()? {
        Host::Ipv4(ip) => private_v4(ip).then(|| "a private or local IP address".to_string()),
        Host::Ipv6(ip) => private_v6(ip).then(|| "a private or local IP address".to_string()),
        Host::Domain(domain) => local_domain(&domain.trim_end_matches('.').to_ascii_lowercase()),
    }
}

fn private_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b))
}

fn private_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    ip.is_loopback()
        || ip.is_unspecified()
        || (first & 0xfe00) == 0xfc00
        || (first & 0xffc0) == 0xfe80
        || (first == 0x2001 && ip.segments()[1] == 0x0db8)
        || ip.to_ipv4_mapped().is_some_and(private_v4)
}

fn local_domain(host: &str) -> Option<String> {
    if let Some(reason) = reserved_domain(host) {
        return Some(reason);
    }
    if TUNNELS.iter().any(|d| is_under(host, d)) {
        return Some("a tunnel to a developer's computer".into());
    }
    let site = registrable(host);
    let sub = host.strip_suffix(site).unwrap_or_default().trim_end_matches('.');
    let staging = sub.split('.').find(|label| is_staging(label))?;
    Some(format!("a test or staging server (\"{staging}.\")"))
}

/// Why a domain (lower case) cannot be anyone's on the internet: localhost, a reserved top-level
/// domain, or one of the example domains.
pub(crate) fn reserved_domain(host: &str) -> Option<String> {
    let ends = |suffix: &str| is_under(host, suffix);
    if ends("localhost") {
        return Some("this computer (localhost)".into());
    }
    if let Some(tld) = RESERVED_TLDS.iter().find(|t| ends(t)) {
        return Some(format!("a name under .{tld}, which does not exist on the internet"));
    }
    if ["example.com", "example.net", "example.org"].iter().any(|d| ends(d)) {
        return Some("a domain reserved for examples (RFC 2606)".into());
    }
    None
}

/// `host` is `domain` or one of its subdomains.
fn is_under(host: &str, domain: &str) -> bool {
    host.strip_suffix(domain).is_some_and(|rest| rest.is_empty() || rest.ends_with('.'))
}

fn is_staging(label: &str) -> bool {
    STAGING_LABELS.contains(&label)
        || STAGING_PREFIXES.iter().any(|p| {
            label
                .strip_prefix(p)
                .is_some_and(|rest| rest.starts_with('-') || rest.starts_with(|c: char| c.is_ascii_digit()))
        })
}

/// The part of a host name one owner registers: `shop.de` for `www.shop.de`, `shop.co.uk` for
/// `mail.shop.co.uk` (see [`TWO_LABEL_SUFFIXES`]).
pub(crate) fn registrable(host: &str) -> &str {
    let host = host.trim_end_matches('.');
    let dots: Vec<usize> = host.match_indices('.').map(|(i, _)| i).collect();
    let labels = |n: usize| match dots.len().checked_sub(n) {
        Some(i) => dots.get(i).map_or(host, |&d| &host[d + 1..]),
        None => host,
    };
    if TWO_LABEL_SUFFIXES.contains(&labels(2)) { labels(3) } else { labels(2) }
}

/// A link whose text is itself an address must go to that address's site.
fn check_link_text(html: &Html, link: &Link, url: &Url, place: impl Fn() -> Place, out: &mut Collector) {
    let Some(target) = url.host_str() else { return };
    let text = html.link_text(link);
    let Some(shown) = shown_host(text) else { return };
    let (shown_site, target_site) = (registrable(&shown), registrable(target));
    if shown_site.eq_ignore_ascii_case(target_site) {
        return;
    }
    let message = format!(
        "The link text shows {shown} but the link goes to {target}: readers and spam filters take that for \
         phishing. If {target} is a click-tracking redirect, use a tracking domain under {shown_site}, or a link \
         text that is not an address."
    );
    out.add_once("link-text-mismatch", Severity::Error, &format!("{text}\n{}", link.href), place(), message);
}

/// The host a link text shows, when the text is a URL (`https://bank.de/login`) or a domain name
/// (`www.bank.de`, `bank.de`); `None` for ordinary text (`Mehr erfahren`, `z.B.`, `Version 2.0`).
fn shown_host(text: &str) -> Option<String> {
    let t =
        text.trim().trim_start_matches(['(', '<', '[']).trim_end_matches(['.', ',', ';', ':', '!', '?', ')', '>', ']']);
    if t.is_empty() || t.contains(char::is_whitespace) || t.contains('@') {
        return None;
    }
    let lower = t.to_ascii_lowercase();
    let candidate = if lower.starts_with("http://") || lower.starts_with("https://") {
        t.to_string()
    } else if lower.starts_with("www.") || looks_like_domain(t) {
        format!("http://{t}")
    } else {
        return None;
    };
    let url = Url::parse(&candidate).ok()?;
    match url.host()? {
        Host::Domain(d) if d.contains('.') => Some(d.to_string()),
        _ => None,
    }
}

fn looks_like_domain(t: &str) -> bool {
    let host = t.split(['/', '?', '#', ':']).next().unwrap_or_default();
    let labels: Vec<&str> = host.split('.').collect();
    let Some(tld) = labels.last() else { return false };
    let tld_ok = tld.chars().all(|c| c.is_ascii_alphabetic())
        && (tld.len() == 2 || GENERIC_TLDS.contains(&tld.to_ascii_lowercase().as_str()));
    labels.len() >= 2
        && tld_ok
        && labels.iter().all(|l| !l.is_empty() && l.chars().all(|c| c.is_alphanumeric() || c == '-'))
}

/// Merge tags in URLs are often percent-encoded (`%7B%7Bname%7D%7D`): read links decoded.
pub(crate) use kurier_core::percent_decode_lossy as percent_decode;

/// The `http://` and `https://` URLs in a line of plain text.
pub(crate) fn urls_in(line: &str) -> Vec<&str> {
    let lower = line.to_ascii_lowercase();
    let mut urls = Vec::new();
    let mut from = 0;
    while let Some(at) = lower.get(from..).and_then(|l| l.find("http")).map(|i| from + i) {
        let rest = &line[at..];
        let is_url =
            ["http://", "https://"].iter().any(|p| rest.get(..p.len()).is_some_and(|r| r.eq_ignore_ascii_case(p)));
        let glued = line[..at].chars().next_back().is_some_and(char::is_alphanumeric);
        if !is_url || glued {
            from = at + 4;
            continue;
        }
        let len = rest.find(|c: char| c.is_whitespace() || "<>\"'`".contains(c)).unwrap_or(rest.len());
        let url = rest[..len].trim_end_matches(['.', ',', ';', ':', '!', '?', ')', ']']);
        urls.push(url);
        from = at + len.max(4);
    }
    urls
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registrable_domains() {
        assert_eq!(registrable("www.shop.de"), "shop.de");
        assert_eq!(registrable("shop.de"), "shop.de");
        assert_eq!(registrable("mail.shop.co.uk"), "shop.co.uk");
        assert_eq!(registrable("localhost"), "localhost");
    }

    #[test]
    fn local_hosts() {
        let local = [
            "http://localhost:8080/x",
            "http://127.0.0.1/",
            "http://[::1]/",
            "http://10.1.2.3/",
            "http://172.16.0.1/",
            "http://192.168.1.10/",
            "http://169.254.1.1/",
            "http://[fd00::1]/",
            "https://shop.local/",
            "https://shop.test/",
            "https://www.example.com/",
            "https://example.org/",
            "https://staging.shop.de/",
            "https://dev.shop.de/",
            "https://shop.staging.example.de/",
            "https://staging2.shop.de/",
            "https://dev-eu.shop.de/",
            "https://preview-42.shop.de/",
            "https://abc.ngrok-free.app/",
            "https://intranet.internal/",
            "https://app.lan/",
        ];
        for u in local {
            assert!(local_reason(&Url::parse(u).unwrap()).is_some(), "{u}");
        }
        let public = [
            "https://devices.de/",
            "https://testberichte.de/",
            "https://stagecoach.com/",
            "https://www.test.de/",
            "https://dev.to/",
            "https://developer.apple.com/",
            "https://preview.redd.it/x.png",
            "https://www.devshop.de/",
            "https://172.32.0.1/",
            "https://8.8.8.8/",
            "https://example.de/",
            "https://www.localbusiness.de/",
        ];
        for u in public {
            assert_eq!(local_reason(&Url::parse(u).unwrap()), None, "{u}");
        }
    }

    #[test]
    fn shown_hosts() {
        assert_eq!(shown_host("www.bank.de").as_deref(), Some("www.bank.de"));
        assert_eq!(shown_host("https://bank.de/login").as_deref(), Some("bank.de"));
        assert_eq!(shown_host("bank.de.").as_deref(), Some("bank.de"));
        assert_eq!(shown_host("Müller.de").as_deref(), Some("xn--mller-kva.de"));
        for text in ["Mehr erfahren", "z.B.", "Version 2.0", "Dr.Oetker", "info@bank.de", "hier", "1.5", ""] {
            assert_eq!(shown_host(text), None, "{text:?}");
        }
    }

    #[test]
    fn text_urls() {
        assert_eq!(
            urls_in("Mehr: https://shop.de/a?b=1. Oder (http://x.de/y), nicht xhttp://z.de"),
            ["https://shop.de/a?b=1", "http://x.de/y"]
        );
        assert_eq!(percent_decode("%7B%7Bname%7D%7D%"), "{{name}}%");
    }
}
