//! `file://` URIs <-> paths. LSP clients percent-encode paths (VS Code encodes `:` and spaces,
//! Neovim does not), so decoding must accept both spellings.

use std::path::{Path, PathBuf};

use lsp_types::Uri;

/// The local path of a `file://` URI; `None` for other schemes (`untitled:`, `git:` …).
pub fn path_from_uri(uri: &Uri) -> Option<PathBuf> {
    let rest = uri.as_str().strip_prefix("file://")?;
    // `file:///abs/path` or `file://localhost/abs/path`.
    let path = rest.strip_prefix("localhost").unwrap_or(rest);
    if !path.starts_with('/') {
        return None;
    }
    let decoded = percent_decode(path)?;
    Some(PathBuf::from(decoded))
}

/// The `file://` URI of an absolute path, percent-encoding what RFC 3986 does not allow in a
/// path segment.
pub fn uri_from_path(path: &Path) -> Option<Uri> {
    let text = path.to_str()?;
    let mut encoded = String::from("file://");
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"/-._~!$&'()*+,;=@".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded.parse().ok()
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%' {
            let hex = text.get(index + 1..index + 3)?;
            decoded.push(u8::from_str_radix(hex, 16).ok()?);
            index += 3;
        } else {
            decoded.push(bytes[index]);
            index += 1;
        }
    }
    String::from_utf8(decoded).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uri(text: &str) -> Uri {
        text.parse().expect("valid URI")
    }

    #[test]
    fn decodes_both_encoded_and_plain_spellings() {
        assert_eq!(
            path_from_uri(&uri("file:///home/me/my%20shop/web/a.ts")),
            Some(PathBuf::from("/home/me/my shop/web/a.ts"))
        );
        assert_eq!(
            path_from_uri(&uri("file://localhost/srv/a.ts")),
            Some(PathBuf::from("/srv/a.ts"))
        );
        assert_eq!(path_from_uri(&uri("untitled:Untitled-1")), None);
        assert_eq!(percent_decode("/bad%zz"), None);
        assert_eq!(percent_decode("/cut%2"), None);
    }

    #[test]
    fn paths_round_trip() {
        for path in ["/srv/shop/web/a.ts", "/srv/my shop/€/b [1].tsx"] {
            let uri = uri_from_path(Path::new(path)).expect("encodable");
            assert_eq!(
                path_from_uri(&uri),
                Some(PathBuf::from(path)),
                "{}",
                uri.as_str()
            );
        }
    }
}
