//! Reading an app's metrics in a test: the samples of a `/metrics` answer (OpenMetrics or
//! Prometheus text), looked up by name and labels. The registry, the layer and the handlers
//! are the app's own [`commerce_metrics`] (production code), re-exported here.
//!
//! ```
//! use commerce_testkit::stubs::metrics::{Metrics, Scrape};
//!
//! let metrics = Metrics::new();
//! metrics.queue_published("orders");
//! metrics.observe_request("/orders/{id}", 409, 3.5);
//! let scrape = Scrape::parse(&metrics.encode()).unwrap();
//! assert_eq!(scrape.value("queue_publish_total", &[("topic", "orders")]), Some(1.0));
//! assert_eq!(scrape.value("api_error_total", &[("route", "/orders/{id}"), ("code", "409")]), Some(1.0));
//! assert_eq!(scrape.value("api_latency_ms_count", &[]), Some(1.0));
//! assert_eq!(scrape.value("retry_total", &[]), Some(0.0));
//! assert_eq!(scrape.value("no_such_metric", &[]), None);
//! ```

use std::collections::BTreeMap;

pub use commerce_metrics::{CONTENT_TYPE, Metrics, PROMETHEUS_CONTENT_TYPE, health_routes};

/// A sample line that is not `name{labels} value`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "line {line} of the metrics text is not a sample (`name{{label=\"value\"}} number`): {text}"
)]
pub struct ScrapeError {
    pub line: usize,
    pub text: String,
}

/// One sample.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub value: f64,
}

/// The samples of one scrape.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scrape {
    pub samples: Vec<Sample>,
}

impl Scrape {
    /// Reads every sample line (comments and blank lines skipped).
    ///
    /// # Errors
    /// The first line that is not a sample.
    pub fn parse(text: &str) -> Result<Self, ScrapeError> {
        let mut samples = Vec::new();
        for (index, line) in text.lines().enumerate() {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let error = || ScrapeError {
                line: index + 1,
                text: line.to_owned(),
            };
            samples.push(parse_sample(line).ok_or_else(error)?);
        }
        Ok(Self { samples })
    }

    /// The sum of the samples named `name` whose labels include every pair of `labels`
    /// (`&[]`: every sample of the name); `None` when there is none.
    pub fn value(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        let matching: Vec<f64> = self
            .samples
            .iter()
            .filter(|sample| sample.name == name)
            .filter(|sample| {
                labels
                    .iter()
                    .all(|(key, value)| sample.labels.get(*key).map(String::as_str) == Some(*value))
            })
            .map(|sample| sample.value)
            .collect();
        (!matching.is_empty()).then(|| matching.iter().sum())
    }
}

fn parse_sample(line: &str) -> Option<Sample> {
    let name_end = line.find(['{', ' '])?;
    let name = line[..name_end].to_owned();
    let mut labels = BTreeMap::new();
    let mut rest = &line[name_end..];
    if let Some(inside) = rest.strip_prefix('{') {
        let mut chars = inside.char_indices().peekable();
        let mut closed_at = None;
        while let Some((start, c)) = chars.next() {
            if c == '}' {
                closed_at = Some(start);
                break;
            }
            if c == ',' {
                continue;
            }
            let eq = inside[start..].find('=')? + start;
            let key = inside[start..eq].trim().to_owned();
            while chars.next_if(|(at, _)| *at <= eq).is_some() {}
            let (_, quote) = chars.next()?;
            if quote != '"' {
                return None;
            }
            let mut value = String::new();
            loop {
                match chars.next()? {
                    (_, '\\') => match chars.next()?.1 {
                        'n' => value.push('\n'),
                        other => value.push(other),
                    },
                    (_, '"') => break,
                    (_, other) => value.push(other),
                }
            }
            labels.insert(key, value);
        }
        rest = &inside[closed_at? + 1..];
    }
    // `value [timestamp]`, then an optional OpenMetrics exemplar after `#`.
    let value = rest.split('#').next()?.split_whitespace().next()?;
    let value = match value {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        other => other.parse().ok()?,
    };
    Some(Sample {
        name,
        labels,
        value,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_with_braces_commas_and_escapes_are_read() {
        let scrape = Scrape::parse(
            "# TYPE x counter\nx_total{route=\"/a/{id},b\",why=\"say \\\"hi\\\"\"} 2\nup 1\n# EOF\n",
        )
        .unwrap();
        assert_eq!(
            scrape.samples[0].labels,
            BTreeMap::from([
                ("route".to_owned(), "/a/{id},b".to_owned()),
                ("why".to_owned(), "say \"hi\"".to_owned()),
            ])
        );
        assert_eq!(
            scrape.value("x_total", &[("route", "/a/{id},b")]),
            Some(2.0)
        );
        assert_eq!(scrape.value("up", &[]), Some(1.0));
        assert_eq!(Scrape::parse("ok 1\nbroken{a=1} 2").unwrap_err().line, 2);
    }
}
