//! Commerce data from the seeded generator: customers with addresses in several countries,
//! SKUs with variants, carts, and money in currencies with their real minor units.
//!
//! ```
//! use commerce_testkit::data::{currency, Money};
//! use commerce_testkit::seed::{Seed, TestRng};
//!
//! let mut rng = TestRng::for_test(Seed(7), "data_doctest");
//! let customer = rng.customer();
//! assert!(customer.email.ends_with("@example.test"));
//! let skus: Vec<_> = (0..3).map(|_| rng.sku()).collect();
//! let cart = rng.cart(&skus, "EUR");
//! assert!(!cart.lines.is_empty());
//! assert_eq!(currency("JPY").unwrap().minor_units, 0);
//! assert_eq!(currency("KWD").unwrap().minor_units, 3);
//! assert_eq!(Money::new(1_234_500, "KWD").to_string(), "1234.500 KWD");
//! assert_eq!(Money::new(1500, "JPY").to_string(), "1500 JPY");
//! ```

use serde::Serialize;

use crate::seed::TestRng;

/// An ISO 4217 currency and how many decimal places its minor unit has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Currency {
    pub code: &'static str,
    pub minor_units: u32,
}

/// The currencies the generators use: zero (JPY, KRW), two (EUR, USD, GBP, BRL) and three
/// (KWD, BHD) minor-unit digits, so rounding bugs show.
pub const CURRENCIES: [Currency; 8] = [
    Currency {
        code: "EUR",
        minor_units: 2,
    },
    Currency {
        code: "USD",
        minor_units: 2,
    },
    Currency {
        code: "GBP",
        minor_units: 2,
    },
    Currency {
        code: "BRL",
        minor_units: 2,
    },
    Currency {
        code: "JPY",
        minor_units: 0,
    },
    Currency {
        code: "KRW",
        minor_units: 0,
    },
    Currency {
        code: "KWD",
        minor_units: 3,
    },
    Currency {
        code: "BHD",
        minor_units: 3,
    },
];

/// The currency with ISO code `code`, if the kit knows it.
pub fn currency(code: &str) -> Option<Currency> {
    CURRENCIES
        .iter()
        .copied()
        .find(|currency| currency.code == code)
}

/// An amount in minor units (cents, fils, yen) of a currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Money {
    pub amount_minor: i64,
    pub currency: &'static str,
}

impl Money {
    /// # Panics
    /// When the kit does not know `code`.
    pub fn new(amount_minor: i64, code: &str) -> Self {
        let currency = currency(code).unwrap_or_else(|| panic!("unknown currency `{code}`"));
        Self {
            amount_minor,
            currency: currency.code,
        }
    }
}

impl std::fmt::Display for Money {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let digits = currency(self.currency).map_or(2, |currency| currency.minor_units);
        if digits == 0 {
            return write!(f, "{} {}", self.amount_minor, self.currency);
        }
        let scale = 10_i64.pow(digits);
        let sign = if self.amount_minor < 0 { "-" } else { "" };
        let amount = self.amount_minor.unsigned_abs();
        let scale = scale.unsigned_abs();
        write!(
            f,
            "{sign}{}.{:0width$} {}",
            amount / scale,
            amount % scale,
            self.currency,
            width = digits as usize
        )
    }
}

/// A postal address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Address {
    pub line1: String,
    pub city: &'static str,
    pub postal_code: String,
    /// ISO 3166-1 alpha-2.
    pub country: &'static str,
}

/// A customer with an address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Customer {
    pub name: String,
    pub email: String,
    pub address: Address,
}

/// A product with its variants.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sku {
    pub code: String,
    pub title: String,
    pub variants: Vec<Variant>,
}

/// One purchasable variant of a SKU.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Variant {
    pub code: String,
    pub size: &'static str,
    pub color: &'static str,
    /// The price in minor units of the cart's currency.
    pub price_minor: i64,
}

/// A cart: variants and quantities in one currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cart {
    pub currency: Currency,
    pub lines: Vec<CartLine>,
}

/// One cart line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CartLine {
    pub variant: String,
    pub quantity: u32,
    pub unit_price_minor: i64,
}

impl Cart {
    /// The sum of the lines, in minor units.
    pub fn total_minor(&self) -> i64 {
        self.lines
            .iter()
            .map(|line| line.unit_price_minor * i64::from(line.quantity))
            .sum()
    }
}

/// (country, cities, postal code pattern: `9` a digit, `A` a letter).
const PLACES: [(&str, [&str; 2], &str); 7] = [
    ("US", ["Portland", "Austin"], "99999"),
    ("DE", ["Berlin", "Köln"], "99999"),
    ("JP", ["東京", "Osaka"], "999-9999"),
    ("GB", ["London", "Leeds"], "AA9 9AA"),
    ("FR", ["Paris", "Lyon"], "99999"),
    ("KW", ["Kuwait City", "Hawalli"], "99999"),
    ("BR", ["São Paulo", "Recife"], "99999-999"),
];
const FIRST: [&str; 8] = [
    "Ada", "Björn", "Chiara", "Dmitri", "Emeka", "Fatima", "Goro", "Hana",
];
const LAST: [&str; 8] = [
    "Okafor", "Müller", "Rossi", "Ivanova", "Tanaka", "Haddad", "Silva", "O'Brien",
];
const SIZES: [&str; 4] = ["S", "M", "L", "XL"];
const COLORS: [&str; 4] = ["black", "white", "navy", "olive"];
const PRODUCTS: [&str; 6] = ["Tee", "Hoodie", "Cap", "Sock", "Tote", "Mug"];

impl TestRng {
    /// A customer in one of seven countries (US, DE, JP, GB, FR, KW, BR) with a postal code of
    /// its country's shape; the email is unique per generator.
    pub fn customer(&mut self) -> Customer {
        let (country, cities, pattern) = *self.pick(&PLACES);
        let first = *self.pick(&FIRST);
        let last = *self.pick(&LAST);
        let tag = self.next_u64() % 1_000_000;
        Customer {
            name: format!("{first} {last}"),
            email: format!(
                "{}.{}{tag}@example.test",
                first.to_lowercase(),
                last.to_lowercase().replace('\'', "")
            ),
            address: Address {
                line1: format!("{} Market Street", self.range(1..400)),
                city: cities[self.range(0..cities.len() as u64) as usize],
                postal_code: self.pattern(pattern),
                country,
            },
        }
    }

    /// A SKU with one to four variants.
    pub fn sku(&mut self) -> Sku {
        let product = *self.pick(&PRODUCTS);
        let code = format!("{}-{:05}", product.to_uppercase(), self.range(0..100_000));
        let variants = (0..self.range(1..5))
            .map(|_| {
                let size = *self.pick(&SIZES);
                let color = *self.pick(&COLORS);
                Variant {
                    code: format!("{code}-{size}-{}", color.to_uppercase()),
                    size,
                    color,
                    price_minor: self.range(100..20_000) as i64,
                }
            })
            .collect();
        Sku {
            title: format!("{product} {}", self.range(1..100)),
            code,
            variants,
        }
    }

    /// A cart of one to five lines from `skus`' variants, priced in `currency_code`.
    ///
    /// # Panics
    /// When `skus` is empty or the currency is unknown.
    pub fn cart(&mut self, skus: &[Sku], currency_code: &str) -> Cart {
        let currency =
            currency(currency_code).unwrap_or_else(|| panic!("unknown currency `{currency_code}`"));
        let lines = (0..self.range(1..6))
            .map(|_| {
                let sku = self.pick(skus);
                let variant = self.pick(&sku.variants);
                CartLine {
                    variant: variant.code.clone(),
                    quantity: self.range(1..4) as u32,
                    unit_price_minor: variant.price_minor,
                }
            })
            .collect();
        Cart { currency, lines }
    }

    /// A currency from [`CURRENCIES`].
    pub fn currency(&mut self) -> Currency {
        *self.pick(&CURRENCIES)
    }

    fn pattern(&mut self, pattern: &str) -> String {
        pattern
            .chars()
            .map(|c| match c {
                '9' => char::from(b'0' + self.range(0..10) as u8),
                'A' => char::from(b'A' + self.range(0..26) as u8),
                other => other,
            })
            .collect()
    }
}
