//! The stub operation `contracts/route-missing-from-spec` offers to add to a YAML spec, written
//! in the spec's own indentation so the file reads as if a person had added it.

use commerce_diagnostics::TextSize;

use crate::diff::template_key;
use crate::model::Spec;

/// Where to insert, and what, to describe `methods` on `path` in the spec whose root file is
/// `text`; `None` for JSON or flow-style specs, whose formatting a text insertion cannot keep.
pub fn stub_insertion(
    text: &str,
    spec: &Spec,
    path: &str,
    methods: &[String],
) -> Option<(TextSize, String)> {
    if text.trim_start().starts_with(['{', '[']) {
        return None;
    }
    let key = template_key(path);
    let existing = spec
        .paths
        .iter()
        .find(|entry| template_key(&entry.path) == key && entry.loc.doc.0 == 0);
    match existing {
        Some(entry) => {
            let key_line = line_start(text, entry.loc.range.start().to_usize());
            let block = Block::after(text, key_line)?;
            let body = methods
                .iter()
                .map(|method| operation(path, method, block.child_indent, block.step()))
                .collect::<String>();
            Some(block.insertion(text, body))
        }
        None => {
            let paths_line = top_level_key(text, "paths")?;
            let block = Block::after(text, paths_line)?;
            let indent = block.child_indent;
            let mut body = format!("{}{path}:\n", " ".repeat(indent));
            for method in methods {
                body.push_str(&operation(
                    path,
                    method,
                    indent + block.step(),
                    block.step(),
                ));
            }
            Some(block.insertion(text, body))
        }
    }
}

/// The lines indented under a key line.
struct Block {
    key_indent: usize,
    child_indent: usize,
    /// Where the block ends: the start of the first line back at the key's level, or the end.
    end: usize,
}

impl Block {
    /// The block under the key on the line starting at `key_line`; `None` when the key holds a
    /// flow value (`paths: {}`).
    fn after(text: &str, key_line: usize) -> Option<Self> {
        let key_text = text[key_line..].lines().next().unwrap_or("");
        let key_indent = indentation(key_text);
        let value = key_text
            .split_once(':')
            .map_or("", |(_, value)| value.trim());
        if !(value.is_empty() || value.starts_with('#')) {
            return None;
        }
        let mut offset = key_line + key_text.len() + 1;
        let mut child_indent = None;
        while offset < text.len() {
            let line = text[offset..].lines().next().unwrap_or("");
            let content = line.trim();
            if !content.is_empty() && !content.starts_with('#') {
                let indent = indentation(line);
                if indent <= key_indent {
                    break;
                }
                child_indent.get_or_insert(indent);
            }
            offset += line.len() + 1;
        }
        Some(Self {
            key_indent,
            child_indent: child_indent.unwrap_or(key_indent + 2),
            end: offset.min(text.len()),
        })
    }

    fn step(&self) -> usize {
        self.child_indent.saturating_sub(self.key_indent).max(1)
    }

    /// The insertion at the end of the block, with a newline before it when the file does not
    /// end in one.
    fn insertion(&self, text: &str, body: String) -> (TextSize, String) {
        let needs_newline = self.end == text.len() && !text.ends_with('\n');
        let body = if needs_newline {
            format!("\n{body}")
        } else {
            body
        };
        (TextSize::from_usize(self.end), body)
    }
}

/// A stub operation at `indent`, with the path's parameters and one response.
fn operation(path: &str, method: &str, indent: usize, step: usize) -> String {
    let pad = |level: usize| " ".repeat(indent + level * step);
    let mut text = format!(
        "{}{}:\n{}summary: TODO describe {method} {path} (stub added from the route in code)\n",
        pad(0),
        method.to_lowercase(),
        pad(1)
    );
    let parameters: Vec<&str> = path
        .split('/')
        .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
        .collect();
    if !parameters.is_empty() {
        text.push_str(&format!("{}parameters:\n", pad(1)));
        for name in parameters {
            let item = pad(2);
            text.push_str(&format!(
                "{item}- name: {name}\n{item}  in: path\n{item}  required: true\n{item}  schema:\n{item}    type: string\n"
            ));
        }
    }
    text.push_str(&format!(
        "{}responses:\n{}\"200\":\n{}description: OK\n",
        pad(1),
        pad(2),
        pad(3)
    ));
    text
}

fn indentation(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

fn line_start(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())]
        .rfind('\n')
        .map_or(0, |newline| newline + 1)
}

/// The start of the line of a top-level (unindented) `key:`.
fn top_level_key(text: &str, key: &str) -> Option<usize> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let rest = line
            .strip_prefix(key)
            .and_then(|rest| rest.strip_prefix(':'));
        if rest.is_some() {
            return Some(offset);
        }
        offset += line.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn insert(text: &str, path: &str, methods: &[&str]) -> Option<String> {
        let loaded = crate::load::load_str("spec.yaml", text);
        let methods: Vec<String> = methods.iter().map(|method| (*method).to_owned()).collect();
        let (at, body) = stub_insertion(text, &loaded.spec, path, &methods)?;
        let mut fixed = text.to_owned();
        fixed.insert_str(at.to_usize(), &body);
        Some(fixed)
    }

    const SPEC: &str = "openapi: 3.0.3\ninfo: {title: T, version: '1'}\npaths:\n    /orders:\n        get:\n            responses:\n                '200': {description: OK}\ncomponents: {}\n";

    #[test]
    fn a_method_joins_its_existing_path_in_the_file_s_indentation() {
        let fixed = insert(SPEC, "/orders", &["POST"]).expect("a fix");
        assert_eq!(
            fixed,
            "openapi: 3.0.3\ninfo: {title: T, version: '1'}\npaths:\n    /orders:\n        get:\n            responses:\n                '200': {description: OK}\n        post:\n            summary: TODO describe POST /orders (stub added from the route in code)\n            responses:\n                \"200\":\n                    description: OK\ncomponents: {}\n"
        );
        assert!(crate::yaml::parse(&fixed).is_ok());
    }

    #[test]
    fn a_new_path_gets_its_parameters_and_every_method() {
        let fixed = insert(SPEC, "/orders/{id}", &["GET", "DELETE"]).expect("a fix");
        assert!(
            fixed.contains("    /orders/{id}:\n        get:\n"),
            "{fixed}"
        );
        assert!(fixed.contains("        delete:\n"), "{fixed}");
        assert!(
            fixed.contains(
                "            parameters:\n                - name: id\n                  in: path\n"
            ),
            "{fixed}"
        );
        let loaded = crate::load::load_str("spec.yaml", &fixed);
        let entry = loaded.spec.path("/orders/{id}").expect("the new path");
        assert_eq!(entry.operations.len(), 2);
        assert!(loaded.issues.is_empty(), "{:?}", loaded.issues);
    }

    #[test]
    fn json_and_flow_paths_get_no_text_fix() {
        assert_eq!(
            insert("{\"openapi\": \"3.0.0\", \"paths\": {}}", "/a", &["GET"]),
            None
        );
        assert_eq!(insert("openapi: 3.0.0\npaths: {}\n", "/a", &["GET"]), None);
        let appended = insert("openapi: 3.0.0\npaths:", "/a", &["GET"]).expect("a fix");
        assert!(
            appended.starts_with("openapi: 3.0.0\npaths:\n  /a:\n    get:\n"),
            "{appended}"
        );
    }
}
