//! Where `cargo commerce contracts test` sends its requests and which headers go with them:
//! the command's flags over the `test_` keys of `[contracts]` in `commerce.toml`.

use commerce_project::ContractsConfig;

use super::TestOptions;

/// What the command line says; each given flag overrides its `commerce.toml` key.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TestFlags {
    /// `--base-url` over `test_base_url`.
    pub base_url: Option<String>,
    /// `--header`, each over the `test_headers` entry of the same name.
    pub headers: Vec<(String, String)>,
    /// `--bearer-env` over `test_bearer_env`.
    pub bearer_env: Option<String>,
}

/// The service to call and what to send with every request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestTarget {
    pub base_url: String,
    pub options: TestOptions,
}

/// Why a contract test cannot start.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    #[error(
        "no base URL for the contract tests: pass --base-url URL, or set `test_base_url` under [contracts] in commerce.toml"
    )]
    NoBaseUrl,
    #[error(
        "the environment variable `{variable}` named by {named_by} is not set: export the bearer token in it, or drop {named_by}"
    )]
    BearerUnset {
        variable: String,
        named_by: &'static str,
    },
}

impl TestTarget {
    /// Resolves `flags` over `config`, reading the bearer token through `env` (the process
    /// environment in the CLI).
    ///
    /// # Errors
    /// When neither names a base URL, or the bearer token's variable is not set.
    pub fn resolve(
        config: &ContractsConfig,
        flags: TestFlags,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, SettingsError> {
        let base_url = flags
            .base_url
            .or_else(|| config.test_base_url.clone())
            .ok_or(SettingsError::NoBaseUrl)?;
        let mut headers: Vec<(String, String)> = config
            .test_headers
            .iter()
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect();
        for (name, value) in flags.headers {
            set_header(&mut headers, name, value);
        }
        let bearer = match (flags.bearer_env, &config.test_bearer_env) {
            (Some(variable), _) => Some((variable, "--bearer-env")),
            (None, Some(variable)) => Some((
                variable.clone(),
                "`test_bearer_env` under [contracts] in commerce.toml",
            )),
            (None, None) => None,
        };
        if let Some((variable, named_by)) = bearer {
            let token = env(&variable).ok_or(SettingsError::BearerUnset { variable, named_by })?;
            set_header(
                &mut headers,
                "authorization".to_owned(),
                format!("Bearer {token}"),
            );
        }
        Ok(Self {
            base_url,
            options: TestOptions { headers },
        })
    }
}

/// Sets `name` (in any case) to `value`, replacing what was there.
fn set_header(headers: &mut Vec<(String, String)>, name: String, value: String) {
    headers.retain(|(existing, _)| !existing.eq_ignore_ascii_case(&name));
    headers.push((name, value));
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn config() -> ContractsConfig {
        ContractsConfig {
            test_base_url: Some("http://127.0.0.1:3000".to_owned()),
            test_bearer_env: Some("SHOP_TOKEN".to_owned()),
            test_headers: BTreeMap::from([
                ("X-Api-Key".to_owned(), "from-config".to_owned()),
                ("X-Tenant".to_owned(), "eu".to_owned()),
            ]),
            ..ContractsConfig::default()
        }
    }

    fn env(name: &str) -> Option<String> {
        match name {
            "SHOP_TOKEN" => Some("config-token".to_owned()),
            "CLI_TOKEN" => Some("cli-token".to_owned()),
            _ => None,
        }
    }

    fn header(target: &TestTarget, name: &str) -> Option<String> {
        target
            .options
            .headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.clone())
    }

    #[test]
    fn the_config_alone_names_the_service_and_its_auth() {
        let target = TestTarget::resolve(&config(), TestFlags::default(), &env).expect("resolves");
        assert_eq!(target.base_url, "http://127.0.0.1:3000");
        assert_eq!(
            header(&target, "authorization").as_deref(),
            Some("Bearer config-token")
        );
        assert_eq!(header(&target, "x-api-key").as_deref(), Some("from-config"));
        assert_eq!(header(&target, "x-tenant").as_deref(), Some("eu"));
    }

    #[test]
    fn flags_override_the_config() {
        let flags = TestFlags {
            base_url: Some("http://127.0.0.1:4000".to_owned()),
            headers: vec![("x-api-key".to_owned(), "from-flag".to_owned())],
            bearer_env: Some("CLI_TOKEN".to_owned()),
        };
        let target = TestTarget::resolve(&config(), flags, &env).expect("resolves");
        assert_eq!(target.base_url, "http://127.0.0.1:4000");
        assert_eq!(
            header(&target, "authorization").as_deref(),
            Some("Bearer cli-token")
        );
        assert_eq!(header(&target, "X-Api-Key").as_deref(), Some("from-flag"));
        assert_eq!(target.options.headers.len(), 3, "{:?}", target.options);
    }

    #[test]
    fn a_missing_base_url_or_token_says_where_to_set_it() {
        let empty = ContractsConfig::default();
        let error = TestTarget::resolve(&empty, TestFlags::default(), &env).expect_err("no URL");
        assert_eq!(error, SettingsError::NoBaseUrl);
        assert!(error.to_string().contains("--base-url"), "{error}");
        let unset = ContractsConfig {
            test_bearer_env: Some("NOT_SET".to_owned()),
            ..config()
        };
        let error = TestTarget::resolve(&unset, TestFlags::default(), &env).expect_err("unset");
        assert_eq!(
            error.to_string(),
            "the environment variable `NOT_SET` named by `test_bearer_env` under [contracts] in commerce.toml is not set: export the bearer token in it, or drop `test_bearer_env` under [contracts] in commerce.toml"
        );
    }
}
