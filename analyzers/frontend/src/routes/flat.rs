//! The flat-file route convention of Remix v2 and React Router 7 (`flatRoutes()` of
//! `@react-router/fs-routes`, `@remix-run/dev`'s `flat-routes`): one file (or folder with a
//! `route.tsx`) per route in `app/routes/`, `.` as `/`, `$param`, `($optional)`, `_index`,
//! pathless `_layout` prefixes, a trailing `_` that leaves the parent layout, `[...]` escapes and
//! a trailing `$` splat.
//!
//! A port of those implementations (both are the same algorithm): route ids from file names,
//! the parent of a route is the longest other id it extends with `.`, and of routes that claim
//! the same URL the first in id order wins.

use std::collections::{HashMap, HashSet};

use globset::GlobSet;

use super::config::ConfigRoute;

/// The extensions a route module may have, in the order the frameworks look for
/// `route.<ext>` and `index.<ext>` in a folder.
const ROUTE_MODULE_EXTENSIONS: [&str; 6] = ["js", "jsx", "ts", "tsx", "md", "mdx"];

/// The routes of the routes folder `prefix` (relative to the app directory, `routes` by
/// default). `files` are the files of the app directory, relative to it with `/` separators;
/// `ignored` are the `ignoredRouteFiles` globs (always with `**/.*`).
pub(crate) fn flat_routes(files: &[String], prefix: &str, ignored: &GlobSet) -> Vec<ConfigRoute> {
    let is_ignored = |relative: &str| {
        ignored.is_match(relative)
            || relative
                .rsplit('/')
                .next()
                .is_some_and(|name| name.starts_with('.'))
    };
    // The entries of the routes folder, in the order Node lists a directory (by name).
    let mut entries: Vec<(&str, Option<&str>)> = Vec::new();
    let mut folders: HashMap<&str, Vec<&str>> = HashMap::new();
    let folder_prefix = format!("{prefix}/");
    for file in files {
        let Some(rest) = file.strip_prefix(&folder_prefix) else {
            continue;
        };
        match rest.split_once('/') {
            None => entries.push((rest, Some(file.as_str()))),
            Some((folder, inside)) => folders.entry(folder).or_default().push(inside),
        }
    }
    for (folder, inside) in &folders {
        let module = ["route", "index"].iter().find_map(|stem| {
            ROUTE_MODULE_EXTENSIONS
                .iter()
                .map(|extension| format!("{stem}.{extension}"))
                .find(|name| inside.contains(&name.as_str()))
        });
        if module.is_some() {
            entries.push((folder, None));
        }
    }
    entries.sort_by(|a, b| a.0.cmp(b.0));
    let mut ids: Vec<(String, String)> = Vec::new();
    let mut seen = HashSet::new();
    for (name, file) in entries {
        let (id, file) = match file {
            Some(file) => {
                if is_ignored(file) {
                    continue;
                }
                let stem = name
                    .rfind('.')
                    .filter(|&dot| dot > 0)
                    .map_or(name, |dot| &name[..dot]);
                (format!("{prefix}/{stem}"), file.to_owned())
            }
            None => {
                let folder = format!("{prefix}/{name}");
                if is_ignored(&folder) {
                    continue;
                }
                let inside = &folders[name];
                let Some(module) = ["route", "index"].iter().find_map(|stem| {
                    ROUTE_MODULE_EXTENSIONS
                        .iter()
                        .map(|extension| format!("{stem}.{extension}"))
                        .find(|candidate| inside.contains(&candidate.as_str()))
                }) else {
                    continue;
                };
                (folder.clone(), format!("{folder}/{module}"))
            }
        };
        // Of two files with the same route id, the first listed wins.
        if seen.insert(id.clone()) {
            ids.push((id, file));
        }
    }
    // Longest ids first (a stable sort, as the frameworks' `Array.sort`).
    ids.sort_by_key(|(id, _)| std::cmp::Reverse(id.len()));
    let routes: Vec<FlatRoute> = ids
        .iter()
        .map(|(id, file)| {
            let index = id.ends_with("_index");
            let (segments, raw) = route_segments(&id[prefix.len() + 1..]);
            FlatRoute {
                id: id.clone(),
                file: file.clone(),
                pathname: route_path(&segments, &raw, index),
                index,
                parent: ids
                    .iter()
                    .map(|(other, _)| other)
                    .filter(|other| {
                        other.len() < id.len()
                            && id.starts_with(other.as_str())
                            && matches!(id.as_bytes()[other.len()], b'.' | b'/')
                    })
                    .max_by_key(|other| other.len())
                    .cloned(),
            }
        })
        .collect();
    let removed = url_conflicts(&routes, prefix);
    tree(&routes, &removed, None)
}

struct FlatRoute {
    id: String,
    file: String,
    /// The full path, React Router's spelling, without the leading `/`.
    pathname: Option<String>,
    index: bool,
    parent: Option<String>,
}

/// The routes dropped because an earlier one (in id order) claims the same URL.
fn url_conflicts(routes: &[FlatRoute], prefix: &str) -> HashSet<String> {
    let mut claimed = HashSet::new();
    let mut removed = HashSet::new();
    for route in routes {
        let last = route.id[prefix.len() + 1..]
            .rsplit('.')
            .next()
            .unwrap_or("");
        if last.starts_with('_') && last != "_index" {
            continue;
        }
        let pathname = route.pathname.clone().unwrap_or_default();
        let key = format!("{pathname}{}", if route.index { "?index" } else { "" });
        if !claimed.insert(key) && (!pathname.is_empty() || route.index) {
            removed.insert(route.id.clone());
        }
    }
    removed
}

/// The children of `parent` (the root when `None`), each with its path relative to it.
fn tree(
    routes: &[FlatRoute],
    removed: &HashSet<String>,
    parent: Option<&FlatRoute>,
) -> Vec<ConfigRoute> {
    routes
        .iter()
        .filter(|route| route.parent.as_deref() == parent.map(|parent| parent.id.as_str()))
        .filter(|route| !removed.contains(&route.id))
        .map(|route| {
            let path = match (
                parent.and_then(|parent| parent.pathname.as_deref()),
                &route.pathname,
            ) {
                (Some(parent_path), Some(path)) => {
                    let rest = path.get(parent_path.len()..).unwrap_or_default();
                    let rest = rest.strip_prefix('/').unwrap_or(rest);
                    Some(rest.strip_suffix('/').unwrap_or(rest).to_owned())
                }
                (_, path) => path.clone(),
            };
            ConfigRoute {
                id: route.id.clone(),
                path: path.filter(|path| !path.is_empty()),
                index: route.index,
                file: route.file.clone(),
                children: tree(routes, removed, Some(route)),
            }
        })
        .collect()
}

/// A route id split into URL segments (`$id` -> `:id`, a final `$` -> `*`, `(x)` -> `x?`,
/// `[.]` escaped) and the raw segments they came from.
fn route_segments(route_id: &str) -> (Vec<String>, Vec<String>) {
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        Normal,
        Escape,
        Optional,
        OptionalEscape,
    }
    let mut segments = Vec::new();
    let mut raws = Vec::new();
    let (mut segment, mut raw) = (String::new(), String::new());
    let mut state = State::Normal;
    let characters: Vec<char> = route_id.chars().collect();
    let mut push = |segment: &mut String, raw: &mut String| {
        if !segment.is_empty() {
            segments.push(std::mem::take(segment));
            raws.push(std::mem::take(raw));
        }
        raw.clear();
    };
    for (index, &character) in characters.iter().enumerate() {
        let last = index + 1 == characters.len();
        let param = if last { '*' } else { ':' };
        match state {
            State::Normal => match character {
                '/' | '.' | '\\' => push(&mut segment, &mut raw),
                '[' => {
                    state = State::Escape;
                    raw.push(character);
                }
                '(' => {
                    state = State::Optional;
                    raw.push(character);
                }
                '$' if segment.is_empty() => {
                    segment.push(param);
                    raw.push(character);
                }
                _ => {
                    segment.push(character);
                    raw.push(character);
                }
            },
            State::Optional => match character {
                ')' => {
                    segment.push('?');
                    raw.push(character);
                    state = State::Normal;
                }
                '[' => {
                    state = State::OptionalEscape;
                    raw.push(character);
                }
                '$' if segment.is_empty() => {
                    segment.push(param);
                    raw.push(character);
                }
                _ => {
                    segment.push(character);
                    raw.push(character);
                }
            },
            State::Escape | State::OptionalEscape => {
                if character == ']' {
                    state = if state == State::Escape {
                        State::Normal
                    } else {
                        State::Optional
                    };
                } else {
                    segment.push(character);
                }
                raw.push(character);
            }
        }
    }
    push(&mut segment, &mut raw);
    (segments, raws)
}

/// The URL path of a route's segments: `_pathless` segments dropped, a trailing `_` removed,
/// the last segment of an index route (`_index`) dropped.
fn route_path(segments: &[String], raws: &[String], index: bool) -> Option<String> {
    let count = if index {
        segments.len().saturating_sub(1)
    } else {
        segments.len()
    };
    let kept: Vec<&str> = segments[..count]
        .iter()
        .zip(raws)
        .filter(|(segment, raw)| !(segment.starts_with('_') && raw.starts_with('_')))
        .map(|(segment, raw)| {
            if segment.ends_with('_') && raw.ends_with('_') {
                &segment[..segment.len() - 1]
            } else {
                segment.as_str()
            }
        })
        .collect();
    (!kept.is_empty()).then(|| kept.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_follow_the_framework_spelling() {
        let path = |id: &str, index: bool| {
            let (segments, raws) = route_segments(id);
            route_path(&segments, &raws, index)
        };
        assert_eq!(
            path("products.$handle", false).as_deref(),
            Some("products/:handle")
        );
        assert_eq!(
            path("($locale).cart", false).as_deref(),
            Some(":locale?/cart")
        );
        assert_eq!(path("(en).about", false).as_deref(), Some("en?/about"));
        assert_eq!(path("[robots.txt]", false).as_deref(), Some("robots.txt"));
        assert_eq!(
            path("[sitemap.xml].$", false).as_deref(),
            Some("sitemap.xml/*")
        );
        assert_eq!(
            path("account_.login", false).as_deref(),
            Some("account/login")
        );
        assert_eq!(path("_auth.login", false).as_deref(), Some("login"));
        assert_eq!(path("_index", true), None);
        assert_eq!(path("blog._index", true).as_deref(), Some("blog"));
        assert_eq!(path("$", false).as_deref(), Some("*"));
        assert_eq!(
            path("files.$id[.json]", false).as_deref(),
            Some("files/:id.json")
        );
    }
}
