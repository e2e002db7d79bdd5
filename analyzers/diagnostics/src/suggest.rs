//! "Did you mean …?" for mistyped keys and rule ids.

/// The candidate closest to `input` by Jaro-Winkler similarity, if it is close enough to be a
/// typo (the threshold cargo and clap use for their suggestions).
pub fn nearest<'a>(input: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    const TYPO_THRESHOLD: f64 = 0.8;
    candidates
        .into_iter()
        .map(|candidate| (strsim::jaro_winkler(input, candidate), candidate))
        .filter(|(score, _)| *score > TYPO_THRESHOLD)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, candidate)| candidate)
}

#[cfg(test)]
mod tests {
    use super::nearest;

    #[test]
    fn suggests_only_close_names() {
        let keys = ["roots", "tsconfig", "routes", "type_only_cycles"];
        assert_eq!(nearest("rootz", keys), Some("roots"));
        assert_eq!(nearest("tsconfg", keys), Some("tsconfig"));
        assert_eq!(nearest("banana", keys), None);
    }
}
