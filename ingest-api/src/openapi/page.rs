//! The OpenAPI document as one HTML page: operations by tag with their parameters, bodies and
//! answers (refusals with their rules), then every schema with its fields. Rendered on the server
//! from the same document `/openapi.json` serves; no script, no font or stylesheet from elsewhere.

use maud::{html, Markup, PreEscaped, DOCTYPE};
use serde_json::Value;

const STYLE: &str = "
body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
main{max-width:1100px;margin:0 auto;padding:1.5rem}
h1{margin:.2rem 0}h2{margin-top:2rem;border-bottom:2px solid #d9dde5}
.op{background:#fff;border:1px solid #d9dde5;border-radius:6px;margin:.8rem 0;padding:.6rem .9rem}
.op summary{cursor:pointer;font-family:ui-monospace,monospace}
.m{display:inline-block;min-width:4.2rem;font-weight:700;text-transform:uppercase}
.get{color:#1a6f3d}.post{color:#1f4fa8}.delete{color:#a8321f}
table{border-collapse:collapse;width:100%;margin:.4rem 0}
td,th{border-top:1px solid #e6e9ef;padding:.25rem .4rem;text-align:left;vertical-align:top}
code{font-family:ui-monospace,monospace;font-size:.92em}
.s4,.s5{color:#a8321f}.s2{color:#1a6f3d}
nav a{margin-right:.8rem}
";

/// The page of `doc`.
pub(super) fn render(doc: &utoipa::openapi::OpenApi) -> String {
    let doc: Value = serde_json::to_value(doc).expect("the document serializes");
    let title = doc["info"]["title"].as_str().unwrap_or("API");
    let tags: Vec<(String, String)> = doc["tags"]
        .as_array()
        .map(|tags| {
            tags.iter()
                .map(|t| {
                    let name = t["name"].as_str().unwrap_or_default().to_owned();
                    let text = t["description"].as_str().unwrap_or_default().to_owned();
                    (name, text)
                })
                .collect()
        })
        .unwrap_or_default();
    let empty = serde_json::Map::new();
    let paths = doc["paths"].as_object().unwrap_or(&empty);
    let schemas = doc["components"]["schemas"].as_object().unwrap_or(&empty);
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
                style { (PreEscaped(STYLE)) }
            }
            body { main {
                h1 { (title) " " small { (doc["info"]["version"].as_str().unwrap_or_default()) } }
                p { (prose(doc["info"]["description"].as_str().unwrap_or_default())) }
                p { "The machine-readable document: " a href="openapi.json" { code { "/openapi.json" } } " (OpenAPI "
                    (doc["openapi"].as_str().unwrap_or_default()) ")." }
                nav { @for (name, _) in &tags { a href={ "#tag-" (name) } { (name) } } a href="#schemas" { "schemas" } }
                @for (tag, text) in &tags {
                    h2 id={ "tag-" (tag) } { (tag) }
                    p { (text) }
                    @for (path, item) in paths {
                        @for method in ["get", "post", "delete"] {
                            @if let Some(op) = item.get(method) {
                                @if op["tags"].as_array().is_some_and(|t| t.iter().any(|x| x == tag.as_str())) {
                                    (operation(method, path, op))
                                }
                            }
                        }
                    }
                }
                h2 id="schemas" { "Schemas" }
                @for (name, schema) in schemas { (schema_block(name, schema)) }
            } }
        }
    }
    .into_string()
}

fn operation(method: &str, path: &str, op: &Value) -> Markup {
    let id = op["operationId"].as_str().unwrap_or_default();
    html! {
        details.op id={ "op-" (id) } {
            summary { span class={ "m " (method) } { (method) } " " (path) " — " (prose(op["summary"].as_str().unwrap_or_default())) }
            @if let Some(d) = op["description"].as_str() { p { (prose(d)) } }
            @if let Some(params) = op["parameters"].as_array() {
                table {
                    tr { th { "parameter" } th { "in" } th { "type" } th { "description" } }
                    @for p in params {
                        tr {
                            td { code { (p["name"].as_str().unwrap_or_default()) }
                                @if p["required"].as_bool() == Some(true) { " (required)" } }
                            td { (p["in"].as_str().unwrap_or_default()) }
                            td { (type_of(&p["schema"])) }
                            td { (prose(p["description"].as_str().unwrap_or_default())) }
                        }
                    }
                }
            }
            @if let Some(body) = op.get("requestBody") {
                p { strong { "Body: " } (prose(body["description"].as_str().unwrap_or_default())) }
                (contents(&body["content"]))
            }
            table {
                tr { th { "status" } th { "answer" } th { "body" } }
                @if let Some(responses) = op["responses"].as_object() {
                    @for (status, r) in responses {
                        tr {
                            td class={ "s" (status.chars().next().unwrap_or('0')) } { (status) }
                            td { (prose(r["description"].as_str().unwrap_or_default())) }
                            td { (contents(&r["content"])) }
                        }
                    }
                }
            }
        }
    }
}

/// Text with its `code` spans set as code (the document's descriptions are Markdown-ish).
fn prose(text: &str) -> Markup {
    html! {
        @for (i, part) in text.split('`').enumerate() {
            @if i % 2 == 1 { code { (part) } } @else { (part) }
        }
    }
}

fn contents(content: &Value) -> Markup {
    html! {
        @if let Some(content) = content.as_object() {
            @for (media, c) in content {
                div { code { (media) } " " (type_of(&c["schema"])) }
            }
        }
    }
}

/// A schema in a few words, linking to a named one.
fn type_of(schema: &Value) -> Markup {
    if let Some(r) = schema["$ref"].as_str() {
        let name = r.rsplit('/').next().unwrap_or(r);
        return html! { a href={ "#schema-" (name) } { (name) } };
    }
    if let Some(variants) = schema["oneOf"].as_array().or(schema["anyOf"].as_array()) {
        return html! { @for (i, v) in variants.iter().enumerate() { @if i > 0 { " | " } (type_of(v)) } };
    }
    let kind = match &schema["type"] {
        Value::String(s) => s.clone(),
        Value::Array(a) => a
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" | "),
        _ => String::new(),
    };
    html! {
        @if kind.starts_with("array") { "array of " (type_of(&schema["items"])) }
        @else { (kind) }
        @if let Some(f) = schema["format"].as_str() { " (" (f) ")" }
        @if let Some(p) = schema["pattern"].as_str() { " " code { (p) } }
        @if let Some(e) = schema["enum"].as_array() {
            " one of " @for (i, v) in e.iter().enumerate() { @if i > 0 { ", " } code { (v.to_string()) } }
        }
    }
}

fn schema_block(name: &str, schema: &Value) -> Markup {
    let required: Vec<&str> = schema["required"]
        .as_array()
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    html! {
        div.op id={ "schema-" (name) } {
            strong { code { (name) } }
            @if let Some(d) = schema["description"].as_str() { p { (prose(d)) } }
            @if let Some(props) = schema["properties"].as_object() {
                table {
                    tr { th { "field" } th { "type" } th { "description" } }
                    @for (field, p) in props {
                        tr {
                            td { code { (field) } @if !required.contains(&field.as_str()) { " (optional)" } }
                            td { (type_of(p)) }
                            td { (prose(p["description"].as_str().unwrap_or_default())) }
                        }
                    }
                }
            } @else {
                p { (type_of(schema)) }
            }
        }
    }
}
