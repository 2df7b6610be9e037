//! Template compile + render on arbitrary input: the first byte picks MJML or HTML and the kind,
//! the rest is split into subject, body and a JSON data document at NUL bytes. Errors are fine;
//! panics, hangs (fuel) and runaway memory are not.
#![no_main]

use kurier_core::{Language, MessageKind};
use kurier_mail::template::{CompileOptions, CompiledTemplate, Format, TemplateSource};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else { return };
    let text = String::from_utf8_lossy(rest);
    let mut parts = text.splitn(3, '\0');
    let subject = parts.next().unwrap_or_default().to_string();
    let body = parts.next().unwrap_or_default().to_string();
    let json = parts.next().unwrap_or("{}");
    let format = if first & 1 == 0 { Format::Html } else { Format::Mjml };
    let kind = if first & 2 == 0 { MessageKind::Transactional } else { MessageKind::Marketing };
    let language = if first & 4 == 0 { Language::De } else { Language::En };
    let source = TemplateSource { format, subject, preheader: String::new(), body, text: None };
    let Ok(template) = CompiledTemplate::compile(&source, CompileOptions { kind, language }) else { return };
    let value: minijinja::Value = match serde_json_lite(json) {
        Some(v) => v,
        None => minijinja::Value::from(()),
    };
    let _ = template.render(&value);
});

/// A data document: minijinja reads JSON-compatible literals too (`{"a": [1, "x"]}`).
fn serde_json_lite(src: &str) -> Option<minijinja::Value> {
    let env = minijinja::Environment::new();
    env.compile_expression(src).ok()?.eval(minijinja::context! {}).ok()
}
