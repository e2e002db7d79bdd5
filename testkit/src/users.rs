//! Disposable users minted through the app's own register and login flow, per worker, role
//! and tenant, so parallel tests never share an account.
//!
//! ```
//! use commerce_testkit::users::{AuthFlow, NewUser, Role, Users};
//! use commerce_testkit::{TestApp, TestCase};
//!
//! /// The app's real flow would POST /register and /login; this one makes a token up.
//! struct Flow;
//! impl AuthFlow for Flow {
//!     async fn register(&self, _app: &TestApp, _user: &NewUser) {}
//!     async fn login(&self, _app: &TestApp, user: &NewUser) -> String { format!("token-{}", user.username) }
//! }
//!
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! let case = TestCase::named("users_doctest");
//! let app = TestApp::new(axum::Router::new());
//! let mut users = Users::new(&case, Flow);
//! let buyer = users.mint(&app, Role::Buyer, "acme").await;
//! let seller = users.mint(&app, Role::Seller, "acme").await;
//! assert!(buyer.username.starts_with(&format!("test_user_{}_", case.worker())));
//! assert_ne!(buyer.username, seller.username);
//! assert_eq!(buyer.token, format!("token-{}", buyer.username));
//! # });
//! ```

use crate::case::TestCase;
use crate::http::TestApp;

/// What a user may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    Buyer,
    Seller,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Buyer => "buyer",
            Role::Seller => "seller",
            Role::Admin => "admin",
        }
    }

    /// The role named `name` (`buyer`, `seller`, `admin`).
    pub fn parse(name: &str) -> Option<Self> {
        [Role::Buyer, Role::Seller, Role::Admin]
            .into_iter()
            .find(|role| role.as_str() == name)
    }
}

/// A user to register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUser {
    pub username: String,
    pub email: String,
    pub password: String,
    pub role: Role,
    pub tenant: String,
}

/// A registered, logged-in user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestUser {
    pub username: String,
    pub email: String,
    pub password: String,
    pub role: Role,
    pub tenant: String,
    /// The bearer token login returned.
    pub token: String,
}

/// The app's real register and login flow.
pub trait AuthFlow {
    /// Registers `user` (through the app's endpoint or its own code).
    fn register(&self, app: &TestApp, user: &NewUser) -> impl Future<Output = ()> + Send;
    /// Logs `user` in and returns its bearer token.
    fn login(&self, app: &TestApp, user: &NewUser) -> impl Future<Output = String> + Send;
}

/// Mints users for one test.
#[derive(Debug)]
pub struct Users<F> {
    prefix: String,
    flow: F,
    minted: usize,
}

impl<F: AuthFlow> Users<F> {
    pub fn new(case: &TestCase, flow: F) -> Self {
        Self {
            prefix: case
                .per_worker("test_user")
                .replacen("test_user_w", "test_user_", 1),
            flow,
            minted: 0,
        }
    }

    /// Registers and logs in a new user with `role` in `tenant`.
    pub async fn mint(&mut self, app: &TestApp, role: Role, tenant: &str) -> TestUser {
        self.minted += 1;
        let username = format!("{}_{}_{}", self.prefix, role.as_str(), self.minted);
        let user = NewUser {
            email: format!("{username}@example.test"),
            password: format!("pw-{username}-Secret1!"),
            username,
            role,
            tenant: tenant.to_owned(),
        };
        self.flow.register(app, &user).await;
        let token = self.flow.login(app, &user).await;
        TestUser {
            username: user.username,
            email: user.email,
            password: user.password,
            role,
            tenant: user.tenant,
            token,
        }
    }
}
