//! Links, images, size and the text alternative.

use super::*;
use crate::lint::body::HTML_CLIP_BYTES;

/// The clean German message, HTML only (so links are reported once), with the collection link's
/// `href` replaced.
fn with_href(href: &str) -> Mail {
    Mail::german().no_text().replace("https://www.beispiel-shop.de/herbst?utm_source=newsletter", href)
}

/// The same for the hero image's `src`.
fn with_src(src: &str) -> Mail {
    Mail::german().no_text().replace("https://cdn.beispiel-shop.de/herbst.jpg", src)
}

fn lint_html(mail: &Mail) -> Vec<Finding> {
    // Only the alternative is missing: leave its warning out of the way.
    mail.lint().into_iter().filter(|f| f.rule != "text-part-missing").collect()
}

#[test]
fn invalid_links() {
    let cases = [
        ("", "empty"),
        ("   ", "empty"),
        ("javascript:alert(1)", "javascript:"),
        ("JavaScript:void(0)", "javascript:"),
        ("http:///herbst", "no host name"),
        ("https://", "not a valid URL"),
        ("https://www.beispiel shop.de/", "not a valid URL"),
        ("/herbst", "relative"),
        ("herbst.html", "relative"),
        ("ftp://beispiel-shop.de/katalog.pdf", "\"ftp:\""),
        ("file:///C:/katalog.pdf", "\"file:\""),
        ("http://https://www.beispiel-shop.de/", "not a full domain name"),
        ("https://beispiel-shop/herbst", "not a full domain name"),
        ("mailto:", "no address"),
    ];
    for (href, want) in cases {
        let findings = lint_html(&with_href(href));
        let f = expect_one(&findings, "link-invalid", Severity::Error, "html <a href=\"");
        assert!(f.location.ends_with("> #1"), "{f:?}");
        assert!(f.message.contains(want), "{href:?}: {f:?}");
    }
    let fine = [
        "#angebote",
        "mailto:service@beispiel-shop.de?subject=Frage",
        "tel:+49301234567",
        "sms:+49301234567",
        "  https://www.beispiel-shop.de/herbst  ",
        "HTTPS://WWW.BEISPIEL-SHOP.DE/herbst",
        "https://www.beispiel-shop.de/suche?q=rote jacke",
        "https://www.xn--bcher-kva.de/",
        "https://www.bücher.de/",
        "https://shop.beispiel-shop.de:8443/herbst",
    ];
    for href in fine {
        let findings = lint_html(&with_href(href));
        expect_none(&findings, "link-invalid");
        expect_clean(&findings);
    }
    // Images: cid: and data: are fine, a missing src is not.
    for src in ["cid:herbst@beispiel-shop.de", "data:image/png;base64,iVBORw0KGgo="] {
        expect_clean(&lint_html(&with_src(src)));
    }
    let no_src = Mail::german().no_text().replace("<img src=\"https://cdn.beispiel-shop.de/herbst.jpg\"", "<img");
    expect_one(&lint_html(&no_src), "link-invalid", Severity::Error, "html <img src=\"\"> #2");
    let ftp = with_src("ftp://cdn.beispiel-shop.de/herbst.jpg");
    expect_one(&lint_html(&ftp), "link-invalid", Severity::Error, "html <img src=\"ftp://");
}

#[test]
fn insecure_links_and_images() {
    let findings = lint_html(&with_href("http://www.beispiel-shop.de/herbst"));
    let f = expect_one(
        &findings,
        "link-insecure",
        Severity::Warning,
        "html <a href=\"http://www.beispiel-shop.de/herbst\"> #1",
    );
    assert!(f.message.contains("https://"), "{f:?}");
    let image = lint_html(&with_src("http://cdn.beispiel-shop.de/herbst.jpg"));
    expect_one(
        &image,
        "link-insecure",
        Severity::Warning,
        "html <img src=\"http://cdn.beispiel-shop.de/herbst.jpg\"> #2",
    );
    // In a text part too, and once for the same URL in both parts.
    let both = Mail::german()
        .replace("https://www.beispiel-shop.de/herbst?utm_source=newsletter", "http://www.beispiel-shop.de/herbst");
    let f = expect_one(&both.lint(), "link-insecure", Severity::Warning, "text part line 6");
    assert!(f.message.ends_with("(It appears in 1 more place.)"), "{f:?}");
    for href in ["https://www.beispiel-shop.de/?back=http://x.de", "mailto:http@beispiel-shop.de"] {
        expect_none(&lint_html(&with_href(href)), "link-insecure");
    }
}

#[test]
fn local_and_staging_links() {
    let local = [
        "http://localhost:8080/herbst",
        "http://127.0.0.1/herbst",
        "http://[::1]/herbst",
        "http://10.0.0.5/herbst",
        "https://172.20.1.1/herbst",
        "https://192.168.178.20/herbst",
        "http://169.254.169.254/latest",
        "http://[fd12:3456::1]/",
        "https://shop.local/herbst",
        "https://beispiel-shop.test/herbst",
        "https://beispiel.example/herbst",
        "https://shop.invalid/",
        "https://shop.internal/",
        "https://nas.lan/",
        "https://www.example.com/herbst",
        "https://example.org/",
        "https://staging.beispiel-shop.de/herbst",
        "https://www.staging.beispiel-shop.de/herbst",
        "https://stage-2.beispiel-shop.de/herbst",
        "https://dev.beispiel-shop.de/herbst",
        "https://test.beispiel-shop.de/herbst",
        "https://qa.beispiel-shop.de/herbst",
        "https://uat.beispiel-shop.de/herbst",
        "https://preview-12.beispiel-shop.de/herbst",
        "https://sandbox.beispiel-shop.de/herbst",
        "https://abcd-1234.ngrok-free.app/herbst",
    ];
    for href in local {
        let findings = lint_html(&with_href(href));
        let f = expect_one(&findings, "link-local", Severity::Error, "html <a href=\"");
        assert!(f.message.contains("cannot reach"), "{f:?}");
        expect_none(&findings, "link-insecure");
    }
    let image = lint_html(&with_src("http://localhost:3000/herbst.jpg"));
    expect_one(&image, "link-local", Severity::Error, "html <img src=\"http://localhost:3000/herbst.jpg\"> #2");
    let text = Mail::german()
        .no_html()
        .replace("https://www.beispiel-shop.de/herbst?", "https://staging.beispiel-shop.de/herbst?");
    expect_one(&text.lint(), "link-local", Severity::Error, "text part line 6");
    let public = [
        "https://www.devices.de/",
        "https://www.testberichte.de/",
        "https://www.stagecoach.com/",
        "https://www.test.de/",
        "https://test.de/",
        "https://dev.to/",
        "https://developer.apple.com/",
        "https://www.dev-shop.de/",
        "https://staging-shop.de/",
        "https://testing.co.uk/",
        "https://preview.redd.it/bild.png",
        "https://www.localbusiness.de/",
        "https://example.de/",
        "https://www.example-shop.co.uk/",
        "https://172.32.0.1/",
        "https://www.lanxess.de/",
    ];
    for href in public {
        expect_clean(&lint_html(&with_href(href)));
    }
}

#[test]
fn link_text_mismatch() {
    let html = |text: &str, href: &str| {
        Mail::german().no_text().replace(
            r#"<a href="https://www.beispiel-shop.de/herbst?utm_source=newsletter">Zur Kollektion</a>"#,
            &format!(r#"<a href="{href}">{text}</a>"#),
        )
    };
    let mismatched = [
        ("www.bank.de", "https://evil.example-phish.com/login"),
        ("https://www.bank.de/login", "https://bank-login.net/"),
        ("beispiel-shop.de", "https://click.tracker-service.com/c/123"),
        ("<b>www.paypal.com</b>", "https://paypal.com.secure-login.ru/"),
    ];
    for (text, href) in mismatched {
        let findings = lint_html(&html(text, href));
        let f = expect_one(&findings, "link-text-mismatch", Severity::Error, "html <a href=\"");
        assert!(f.message.contains("tracking"), "{f:?}");
    }
    let fine = [
        ("www.beispiel-shop.de", "https://www.beispiel-shop.de/herbst"),
        ("beispiel-shop.de", "https://click.beispiel-shop.de/c/123"),
        ("https://beispiel-shop.de/herbst", "https://www.beispiel-shop.de/herbst?utm=1"),
        ("shop.beispiel-shop.de", "https://beispiel-shop.de/"),
        ("Zur Kollektion", "https://click.tracker-service.com/c/123"),
        ("z.B. Jacken", "https://click.tracker-service.com/c/123"),
        ("Version 2.0", "https://click.tracker-service.com/c/123"),
        ("service@beispiel-shop.de", "mailto:service@beispiel-shop.de"),
        ("Dr.Oetker", "https://click.tracker-service.com/c/123"),
        ("www.bücher.de", "https://www.xn--bcher-kva.de/"),
    ];
    for (text, href) in fine {
        expect_none(&lint_html(&html(text, href)), "link-text-mismatch");
    }
}

#[test]
fn images_without_alt() {
    let without = Mail::german().replace(" alt=\"Frau in roter Jacke im Herbstwald\"", "");
    let f = expect_one(
        &without.lint(),
        "image-alt-missing",
        Severity::Warning,
        "html <img src=\"https://cdn.beispiel-shop.de/herbst.jpg\"> #2",
    );
    assert!(f.message.contains("alt=\"\""), "{f:?}");
    // Decorative (alt=""), tracking pixels and hidden images are fine; the clean message has a 1×1 pixel.
    let exempt = [
        "<img src=\"https://cdn.beispiel-shop.de/linie.png\" alt=\"\" width=\"600\">",
        "<img src=\"https://t.beispiel-shop.de/p.gif\" width=\"1px\" height=\"1px\">",
        "<img src=\"https://t.beispiel-shop.de/p.gif\" width=\"0\" height=\"0\">",
        "<img src=\"https://t.beispiel-shop.de/p.gif\" style=\"display: none\">",
        "<img src=\"https://t.beispiel-shop.de/p.gif\" style=\"width:1px;height:1px\">",
    ];
    for img in exempt {
        let mail = Mail::german().replace("</body>", &format!("{img}\n</body>"));
        expect_clean(&mail.lint());
    }
}

#[test]
fn image_only() {
    let banner = r#"<html><body>
<a href="https://www.beispiel-shop.de/herbst"><img src="https://cdn.beispiel-shop.de/herbst.jpg" alt="Herbst-Sale: 20 % auf alle Jacken" width="600"></a>
<p>Beispiel Shop GmbH, Hauptstraße 1, 10115 Berlin. <a href="https://www.beispiel-shop.de/u/abc123">Abmelden</a></p>
<img src="https://t.beispiel-shop.de/o/abc123.gif" width="1" height="1">
</body></html>"#;
    let findings = Mail::german().html(banner).lint();
    let f = expect_one(&findings, "image-only", Severity::Warning, "html part");
    assert!(f.message.contains("1 image(s)"), "{f:?}");
    // Many pictures need more words: 6 images and 100 words are too few.
    let words = "Warme Jacken und weiche Pullover für den Herbst. ".repeat(12);
    let gallery = format!(
        "<html><body><p>{words}</p>{}<p>Beispiel Shop GmbH, Hauptstraße 1, 10115 Berlin. \
         <a href=\"https://www.beispiel-shop.de/u/abc123\">Abmelden</a></p></body></html>",
        (1..=6)
            .map(|i| format!("<img src=\"https://cdn.beispiel-shop.de/{i}.jpg\" alt=\"Jacke {i}\">"))
            .collect::<String>()
    );
    expect_one(&Mail::german().html(&gallery).lint(), "image-only", Severity::Warning, "html part");
    // The clean messages have a photo and enough text; a short mail with only a logo is text, not pictures.
    let logo = r#"<html><body><img src="https://cdn.beispiel-shop.de/logo.png" alt="Beispiel Shop" width="160" height="40">
<p>Hallo Anna, Ihr Passwort wurde geändert. Waren Sie das nicht? Schreiben Sie uns.</p></body></html>"#;
    expect_none(&Mail::german().html(logo).lint_as(MessageKind::Transactional), "image-only");
    let text_only = "<html><body><p>Kurz: Ihr Paket ist unterwegs.</p></body></html>";
    expect_none(&Mail::german().html(text_only).lint_as(MessageKind::Transactional), "image-only");
}

#[test]
fn html_too_large() {
    let filler = format!("<!-- {} -->", "x".repeat(HTML_CLIP_BYTES));
    let big = Mail::german().replace("</body>", &format!("{filler}</body>"));
    let f = expect_one(&big.lint(), "html-too-large", Severity::Warning, "html part");
    assert!(f.message.contains("102 KB"), "{f:?}");
    let just_under = format!("<!-- {} -->", "x".repeat(HTML_CLIP_BYTES - GERMAN_HTML.len() - 200));
    expect_none(&Mail::german().replace("</body>", &format!("{just_under}</body>")).lint(), "html-too-large");
}

#[test]
fn text_part_missing() {
    let f = expect_one(&Mail::english().no_text().lint(), "text-part-missing", Severity::Warning, "message");
    assert!(f.message.contains("text/plain"), "{f:?}");
    expect_none(&Mail::english().no_html().lint(), "text-part-missing");
    expect_none(&Mail::english().lint(), "text-part-missing");
}

/// A newsletter as the big tools export it: Outlook conditionals, a preheader padded with
/// invisible characters, a "view in browser" link, social icons, a US footer, a click-tracking
/// domain of the sender's own.
#[test]
fn exported_newsletter_is_clean() {
    let html = r##"<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">
<html xmlns="http://www.w3.org/1999/xhtml" xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office">
<head>
<!--[if gte mso 9]><xml><o:OfficeDocumentSettings><o:PixelsPerInch>96</o:PixelsPerInch></o:OfficeDocumentSettings></xml><![endif]-->
<meta http-equiv="Content-Type" content="text/html; charset=UTF-8">
<style type="text/css">@media only screen and (max-width:480px){ .col{width:100%!important} } a[x-apple-data-detectors]{color:inherit!important}</style>
<!--[if mso]><style>.fallback-font{font-family:Arial,sans-serif;}</style><![endif]-->
</head>
<body style="margin:0;padding:0">
<span style="display:none;max-height:0;overflow:hidden">Fall boots are back, 30% off this week only.&#847;&zwnj;&nbsp;&#847;&zwnj;&nbsp;&#847;&zwnj;&nbsp;</span>
<center>
<table role="presentation" width="100%"><tr><td align="right"><a href="https://click.example-outdoor.com/view/abc">View in browser</a></td></tr>
<tr><td><a href="https://click.example-outdoor.com/c/1"><img src="https://img.example-outdoor.com/logo.png" alt="Example Outdoor" width="180" height="48" style="display:block;border:0"></a></td></tr>
<tr><td><img src="https://img.example-outdoor.com/boots.jpg" alt="Hiking boots on a mossy rock" width="600" class="col"></td></tr>
<tr><td class="fallback-font">
<h1>Fall boots are back</h1>
<p>Hi Jamie,</p>
<p>The days are getting shorter and the trails wetter. Our waterproof hiking boots keep your feet dry on every path,
and this week they are 30% off. Pick your pair before the first snow: sizes go fast every year.</p>
<p>Not sure which boot fits your feet? Our guide explains widths, lacing and socks in five minutes.</p>
<!--[if mso]><v:roundrect href="https://click.example-outdoor.com/c/2" style="height:40px;width:200px" arcsize="10%" fillcolor="#2b6cb0"><center>Shop boots</center></v:roundrect><![endif]-->
<!--[if !mso]><!--><a href="https://click.example-outdoor.com/c/2" style="background:#2b6cb0;color:#fff;padding:12px 24px">Shop boots</a><!--<![endif]-->
</td></tr>
<tr><td>
<a href="https://www.facebook.com/exampleoutdoor"><img src="https://img.example-outdoor.com/fb.png" alt="Facebook" width="24" height="24"></a>
<a href="https://www.instagram.com/exampleoutdoor"><img src="https://img.example-outdoor.com/ig.png" alt="Instagram" width="24" height="24"></a>
</td></tr>
<tr><td style="font-size:11px;color:#666">
<p>Example Outdoor Inc. · 548 Market St · San Francisco, CA 94104 · USA</p>
<p>You are receiving this email because you opted in at <a href="https://click.example-outdoor.com/c/3">example-outdoor.com</a>.
<a href="https://click.example-outdoor.com/u/abc">Unsubscribe</a> · <a href="https://click.example-outdoor.com/p/abc">Update preferences</a></p>
</td></tr></table>
</center>
<img src="https://click.example-outdoor.com/o/abc.gif" width="1" height="1" alt="" style="display:block">
</body></html>"##;
    let mail = Mail::new(
        "Example Outdoor <hello@example-outdoor.com>",
        "Fall boots are back: 30% off this week",
        "<https://click.example-outdoor.com/u/abc>, <mailto:u-abc@click.example-outdoor.com>",
    )
    .html(html)
    .text(
        "Hi Jamie,\n\nOur waterproof hiking boots are 30% off this week: https://click.example-outdoor.com/c/2\n\n\
           Example Outdoor Inc., 548 Market St, San Francisco, CA 94104, USA\n\
           Unsubscribe: https://click.example-outdoor.com/u/abc\n",
    );
    expect_clean(&mail.lint());
}
