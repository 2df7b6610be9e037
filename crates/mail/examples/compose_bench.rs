//! Composing benchmark: a realistic ~20 KB MJML newsletter rendered into complete messages (text and
//! HTML parts, headers, footer) for many sample contacts, on one core.
//!
//! cargo run --release -p kurier-mail --example compose_bench -- [CONTACTS] [--dkim none|rsa|ed25519|both]
//! (DKIM with the crate's test-only keys)
//!
//! Prints the template size, the one-time compile cost, what MJML + CSS inlining would cost if run
//! per recipient, messages per second on one core, and the process's peak memory (VmHWM).

use std::time::Instant;

/// The allocator the `kurier` binary uses. With glibc's, every message's large buffers go back to
/// the kernel and fault in again, depending on its heap state: 10,000 to 23,000 messages/s here.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use chrono::{TimeZone, Utc};
use kurier_core::{EmailAddress, Language, MessageKey, MessageKind};
use kurier_mail::dkim::{DkimKey, DkimSigner};
use kurier_mail::template::{CompileOptions, CompiledTemplate, Format, TemplateSource};
use kurier_mail::{Composer, Envelope, ListInfo, MessageOptions, Recipient, SenderIdentity};
use minijinja::Value;

const FIRST: [&str; 8] = ["Anna", "Jürgen", "", "Mehmet", "Sophie", "Łukasz", "Chloé", "Ben"];
const LAST: [&str; 6] = ["Müller", "Schmidt", "Yılmaz", "Becker", "O'Brien", "Nowak"];
const PRODUCTS: [(&str, &str); 10] = [
    ("Espressokanne Edelstahl", "39.90"),
    ("Milchschäumer", "24.50"),
    ("Kaffeebohnen Hausmischung 1 kg", "18.90"),
    ("Keramiktasse „Morgenrot“", "12.00"),
    ("Handmühle", "64.00"),
    ("Entkalker (3 Stück)", "9.99"),
    ("Filterhalter Porzellan", "21.00"),
    ("Papierfilter 100 Stück", "4.50"),
    ("Kaffeewaage mit Timer", "34.90"),
    ("Geschenkbox „Rösterei-Entdecker“", "29.90"),
];

/// A newsletter as people write MJML: indented, one element per line, a head with shared
/// attributes and styles, a hero, eighteen product blocks, personal recommendations, two articles.
fn newsletter() -> String {
    let mut b = String::new();
    b.push_str(r##"<mjml>
  <mj-head>
    <mj-title>Herbst-Neuheiten aus der Rösterei</mj-title>
    <mj-preview>Drei neue Röstungen und eine Einladung in die Rösterei</mj-preview>
    <mj-attributes>
      <mj-all font-family="Arial, Helvetica, sans-serif" />
      <mj-text font-size="16px" line-height="1.5" color="#1f2937" padding="8px 0" />
      <mj-button background-color="#1d4ed8" color="#ffffff" border-radius="6px" font-weight="bold" inner-padding="12px 24px" />
      <mj-section background-color="#ffffff" padding="16px 24px" />
    </mj-attributes>
    <mj-style inline="inline">
      .lead div { font-size: 18px !important; }
      .muted { color: #6b7280; }
      a { color: #1d4ed8; }
      h1 { margin: 0 0 12px; font-size: 26px; line-height: 1.2; }
      h2 { margin: 0 0 8px; font-size: 20px; line-height: 1.3; }
      .price div { font-size: 18px !important; font-weight: bold; color: #111827; }
    </mj-style>
  </mj-head>
  <mj-body background-color="#f3f4f6" width="600px">
    <mj-section padding="24px">
      <mj-column>
        <mj-image src="https://cdn.kaffeehaus-beispiel.de/logo.png" alt="Kaffeehaus Beispiel" width="180px" href="https://www.kaffeehaus-beispiel.de/" />
        <mj-text css-class="lead">
          {% if contact.first_name %}Hallo {{ contact.first_name }},{% else %}Guten Tag,{% endif %}
        </mj-text>
        <mj-text>
          der Herbst ist da – und mit ihm unsere neuen Röstungen. Wir haben die letzten Wochen damit
          verbracht, Bohnen aus Äthiopien, Kolumbien und Brasilien zu probieren, und stellen Ihnen heute
          unsere Favoriten vor. Wie immer frisch geröstet in unserer Rösterei in Leipzig und innerhalb von
          zwei Tagen bei Ihnen.
        </mj-text>
      </mj-column>
    </mj-section>
    <mj-section padding="0">
      <mj-column>
        <mj-image src="https://cdn.kaffeehaus-beispiel.de/herbst-hero.jpg" alt="Frisch geröstete Bohnen in der Herbstsonne" />
      </mj-column>
    </mj-section>
"##);
    // Eighteen product blocks bring the file to about 20 KB, as the benchmark asks.
    for i in 0..18 {
        let (name, price) = PRODUCTS[i % PRODUCTS.len()];
        b.push_str(&format!(r##"    <mj-section>
      <mj-column width="40%">
        <mj-image src="https://cdn.kaffeehaus-beispiel.de/p/{i}.jpg" alt="{name}" border-radius="8px" href="https://www.kaffeehaus-beispiel.de/p/{i}" />
      </mj-column>
      <mj-column width="60%">
        <mj-text>
          <h2>{name}</h2>
          Sorgfältig ausgewählt und von Hand geprüft: {name} ist einer unserer Bestseller in dieser
          Saison. Viele Kundinnen und Kunden schreiben uns, dass sie nie wieder etwas anderes wollen –
          probieren Sie selbst. Lieferung versandkostenfrei ab 29 €.
        </mj-text>
        <mj-text css-class="price">{{{{ "{price}" | money }}}}</mj-text>
        <mj-button href="https://www.kaffeehaus-beispiel.de/p/{i}?utm_source=newsletter&amp;utm_campaign=herbst&amp;c={{{{ contact.id }}}}">
          Jetzt ansehen
        </mj-button>
      </mj-column>
    </mj-section>
"##));
    }
    b.push_str(r##"    <mj-section>
      <mj-column>
        <mj-text>
          <h2>Nur für Sie ausgewählt</h2>
          Auf Grundlage Ihrer letzten Bestellung vom {{ contact.last_order | date }} empfehlen wir:
        </mj-text>
        <mj-table>
          <tbody>
          {% for item in contact.recommendations %}
            <tr>
              <td style="padding:4px 0;">{{ item.name }}</td>
              <td style="padding:4px 0;text-align:right;">{{ item.price | money }}</td>
            </tr>
          {% endfor %}
          </tbody>
        </mj-table>
        <mj-divider border-color="#e5e7eb" border-width="1px" />
        <mj-text css-class="muted">
          <h2>Aus der Rösterei: Warum wir hell rösten</h2>
          Viele Menschen verbinden Kaffee mit einem kräftigen, bitteren Geschmack. Dabei steckt in jeder
          Bohne eine Vielfalt an Aromen – von Beeren über Schokolade bis hin zu Nüssen. Eine helle Röstung
          bewahrt diese Aromen, eine dunkle überdeckt sie. In unserem Blog erklären wir, wie Sie zu Hause
          mit einfachen Mitteln den besten Kaffee zubereiten, welche Mühle sich lohnt und warum das Wasser
          wichtiger ist, als man denkt.
          <a href="https://www.kaffeehaus-beispiel.de/blog/hell-roesten">Weiterlesen</a>
        </mj-text>
        <mj-text css-class="muted">
          <h2>Offene Rösterei am 5. Dezember</h2>
          Von 10 bis 16 Uhr zeigen wir Ihnen, wie aus grünen Bohnen Ihr Lieblingskaffee wird, und Sie
          können alle neuen Sorten probieren. Der Eintritt ist frei, eine Anmeldung ist nicht nötig. Für
          Kinder gibt es heiße Schokolade und für alle Kuchen aus der Bäckerei nebenan.
        </mj-text>
        <mj-social font-size="12px" icon-size="24px" mode="horizontal">
          <mj-social-element name="instagram" href="https://instagram.com/kaffeehaus_beispiel">Instagram</mj-social-element>
          <mj-social-element name="facebook" href="https://facebook.com/kaffeehausbeispiel">Facebook</mj-social-element>
        </mj-social>
      </mj-column>
    </mj-section>
  </mj-body>
</mjml>
"##);
    b
}

fn contact(i: usize) -> serde_json::Value {
    let recs: Vec<_> = (0..3)
        .map(|k| {
            let (name, price) = PRODUCTS[(i + k) % PRODUCTS.len()];
            serde_json::json!({ "name": name, "price": price })
        })
        .collect();
    serde_json::json!({
        "contact": {
            "id": i,
            "first_name": FIRST[i % FIRST.len()],
            "last_name": LAST[i % LAST.len()],
            "email": format!("kunde{i}@example.org"),
            "last_order": format!("2026-{:02}-{:02}", 1 + i % 10, 1 + i % 28),
            "recommendations": recs,
        }
    })
}

/// CPU time of this thread: unlike wall time, not inflated when other processes share the core.
/// (Linux: the first field of /proc/thread-self/schedstat, in nanoseconds.)
fn thread_cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .map_or(f64::NAN, |ns| ns as f64 / 1e9)
}

fn peak_memory_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let contacts: usize = args.iter().find_map(|a| a.parse().ok()).unwrap_or(100_000);
    let dkim_mode =
        args.iter().position(|a| a == "--dkim").and_then(|i| args.get(i + 1)).map_or("none", String::as_str);
    // The crate's test-only keys: fine for measuring, never for sending.
    let rsa = || {
        DkimKey::rsa_from_pem("kaffeehaus-beispiel.de", "k1", include_str!("../tests/dkim/rsa2048-pkcs8.test-only.pem"))
    };
    let ed = || {
        DkimKey::ed25519_from_pem("kaffeehaus-beispiel.de", "e1", include_str!("../tests/dkim/ed25519.test-only.pem"))
    };
    let keys = match dkim_mode {
        "none" => vec![],
        "rsa" => vec![rsa().expect("rsa key")],
        "ed25519" => vec![ed().expect("ed25519 key")],
        "both" => vec![rsa().expect("rsa key"), ed().expect("ed25519 key")],
        other => panic!("--dkim {other}: use none, rsa, ed25519 or both"),
    };
    let signer = (!keys.is_empty()).then(|| DkimSigner::new(keys).expect("signer"));

    let source = TemplateSource {
        format: Format::Mjml,
        subject: "{% if contact.first_name %}{{ contact.first_name }}, unsere{% else %}Unsere{% endif %} Herbst-Neuheiten sind da".into(),
        preheader: "Drei neue Röstungen und eine Einladung in die Rösterei".into(),
        body: newsletter(),
        text: None,
    };
    let options = CompileOptions { kind: MessageKind::Marketing, language: Language::De };
    println!("template: {} bytes of MJML", source.body.len());

    // What compiling costs, and what it would cost per recipient.
    let runs = 50;
    let t = thread_cpu_seconds();
    let mut compiled = None;
    for _ in 0..runs {
        compiled = Some(CompiledTemplate::compile(&source, options).expect("template compiles"));
    }
    let per_compile = std::time::Duration::from_secs_f64((thread_cpu_seconds() - t) / f64::from(runs));
    let template = compiled.expect("compiled");
    println!(
        "compile (MJML, CSS inlining, text part): {:.2} ms CPU per run; compiled HTML {} bytes, text {} bytes",
        per_compile.as_secs_f64() * 1e3,
        template.source(true).len(),
        template.source(false).len()
    );

    let sender = SenderIdentity {
        name: "Kaffeehaus Beispiel".into(),
        address: EmailAddress::parse("news@kaffeehaus-beispiel.de").expect("address"),
        postal_address: "Kaffeehaus Beispiel GmbH\nRöstereiweg 3\n04109 Leipzig".into(),
        reply_to: Some(EmailAddress::parse("hallo@kaffeehaus-beispiel.de").expect("address")),
    };
    let list = ListInfo { name: "newsletter-de", title: "Kaffeehaus-Newsletter", language: Language::De };
    let date = Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0).single().expect("date");
    let data: Vec<Value> = (0..contacts).map(|i| Value::from_serialize(contact(i))).collect();
    let addresses: Vec<EmailAddress> =
        (0..contacts).map(|i| EmailAddress::parse(&format!("kunde{i}@example.org")).expect("address")).collect();

    let composer = Composer::global();
    let cpu_start = thread_cpu_seconds();
    let t = Instant::now();
    let mut bytes = 0usize;
    for (i, (d, address)) in data.iter().zip(&addresses).enumerate() {
        let key = MessageKey::from_bytes((i as u128).to_be_bytes());
        let return_path = format!("b-{key}@bounces.kaffeehaus-beispiel.de");
        let unsubscribe = format!("https://news.kaffeehaus-beispiel.de/u/{key}");
        let env = Envelope {
            sender: &sender,
            list,
            recipient: Recipient { address, name: None },
            key: &key,
            return_path: &return_path,
            message_id_domain: "kaffeehaus-beispiel.de",
            date,
        };
        let o = MessageOptions {
            kind: MessageKind::Marketing,
            campaign: "herbst-2026",
            unsubscribe_url: Some(&unsubscribe),
            footer_reason: None,
            in_reply_to: None,
            attachments: &[],
        };
        let m = composer.compose_template(&template, &env, &o, d).expect("message composes");
        match &signer {
            Some(signer) => bytes += signer.sign(&m.raw, date.timestamp()).expect("signs").len(),
            None => bytes += m.raw.len(),
        }
    }
    let wall = t.elapsed().as_secs_f64();
    let cpu = thread_cpu_seconds() - cpu_start;
    println!(
        "composed {contacts} complete messages (DKIM: {dkim_mode}), {:.1} KB average: {:.2} s CPU ({:.2} s wall) on one core = {:.0} messages/s per core, {:.1} µs each",
        bytes as f64 / contacts as f64 / 1024.0,
        cpu,
        wall,
        contacts as f64 / cpu,
        cpu * 1e6 / contacts as f64,
    );
    println!(
        "MJML + CSS inlining + text per recipient instead: {:.0} messages/s at most ({:.0}× slower than rendering the compiled template)",
        1.0 / per_compile.as_secs_f64(),
        per_compile.as_secs_f64() / (cpu / contacts as f64)
    );
    if let Some(kib) = peak_memory_kib() {
        println!("peak memory (VmHWM): {:.1} MiB", kib as f64 / 1024.0);
    }
}
