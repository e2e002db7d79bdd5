use commerce_project::Dialect;
use proptest::prelude::*;

use super::*;

/// The text of each statement, as its range points at it.
fn statement_texts(text: &str, dialect: Dialect) -> Vec<&str> {
    SqlFile::parse(text, dialect)
        .statements
        .iter()
        .map(|statement| &text[statement.range.to_usize_range()])
        .collect()
}

#[test]
fn splits_at_top_level_semicolons_and_drops_comments_around_statements() {
    let text = "-- header\nCREATE TABLE a (id int); /* between */ INSERT INTO a VALUES (1)\n;\n\n-- trailing comment only\n";
    assert_eq!(
        statement_texts(text, Dialect::Postgres),
        ["CREATE TABLE a (id int)", "INSERT INTO a VALUES (1)"]
    );
}

#[test]
fn dollar_quoted_bodies_and_parenthesised_rules_stay_whole() {
    let text = "CREATE FUNCTION f() RETURNS int AS $body$ BEGIN RETURN 1; END; $body$ LANGUAGE plpgsql;\nCREATE RULE r AS ON INSERT TO a DO ALSO (INSERT INTO b VALUES (1); INSERT INTO c VALUES (2));\nSELECT 1";
    let texts = statement_texts(text, Dialect::Postgres);
    assert_eq!(texts.len(), 3, "{texts:#?}");
    assert!(texts[0].ends_with("LANGUAGE plpgsql"));
    assert!(texts[1].ends_with("VALUES (2))"));
}

#[test]
fn sqlite_trigger_bodies_stay_whole_but_a_column_named_begin_does_not_open_one() {
    let text = "CREATE TRIGGER t AFTER INSERT ON a BEGIN UPDATE b SET n = n + 1; DELETE FROM c; END;\nCREATE TABLE d (begin int);\nSELECT 2;";
    let texts = statement_texts(text, Dialect::Sqlite);
    assert_eq!(texts.len(), 3, "{texts:#?}");
    assert!(texts[0].ends_with("END"));
    assert_eq!(texts[1], "CREATE TABLE d (begin int)");
}

#[test]
fn byte_ranges_are_exact_after_multi_byte_text_and_crlf_and_lone_cr() {
    let text =
        "-- prix en €, 😀\r\nCREATE TABLE \"prix_€\" (montant int);\rDROP TABLE \"prix_€\";\n";
    assert_eq!(
        statement_texts(text, Dialect::Postgres),
        [
            "CREATE TABLE \"prix_€\" (montant int)",
            "DROP TABLE \"prix_€\""
        ]
    );
}

#[test]
fn statements_that_do_not_parse_keep_their_tokens_and_error() {
    let file = SqlFile::parse("ALTER TABLE a WOBBLE b; SELECT 1;", Dialect::Postgres);
    assert!(file.statements[0].parsed.is_err());
    assert!(
        file.statements[0]
            .tokens()
            .starts_with_words(&["ALTER", "TABLE"])
    );
    assert!(file.statements[1].parsed.is_ok());
}

proptest! {
    /// Whatever the text, parsing never panics and every range lies on character
    /// boundaries inside the text.
    #[test]
    fn never_panics_and_ranges_are_in_bounds(text in "[a-zA-Z ;,()'\"$€😀\r\n-]{0,80}") {
        for dialect in [Dialect::Postgres, Dialect::Sqlite] {
            let file = SqlFile::parse(&text, dialect);
            let ranges = file
                .statements
                .iter()
                .flat_map(|statement| std::iter::once(statement.range).chain(statement.tokens.iter().map(|token| token.range)))
                .chain(file.lex_error.iter().map(|error| error.range));
            for range in ranges {
                prop_assert!(text.get(range.to_usize_range()).is_some(), "{range:?} in {text:?}");
            }
        }
    }
}
