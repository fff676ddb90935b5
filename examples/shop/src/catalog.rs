//! The shop's catalog: a few products with prices in VND.

use pay123_core::text;

/// A product for sale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Product {
    /// A stable id, used in forms and URLs (`ao-dai`).
    pub id: &'static str,
    /// The Vietnamese name shown to buyers.
    pub name: &'static str,
    /// The English name shown alongside.
    pub english: &'static str,
    /// The price in VND.
    pub price: u64,
}

/// Every product of the shop.
pub const CATALOG: &[Product] = &[
    Product {
        id: "ao-dai",
        name: "Áo dài lụa tơ tằm",
        english: "Silk ao dai",
        price: 450_000,
    },
    Product {
        id: "ca-phe",
        name: "Cà phê Buôn Ma Thuột 500g",
        english: "Buon Ma Thuot coffee, 500 g",
        price: 120_000,
    },
    Product {
        id: "non-la",
        name: "Nón lá Huế",
        english: "Hue conical hat",
        price: 85_000,
    },
    Product {
        id: "tranh-son-mai",
        name: "Tranh sơn mài",
        english: "Lacquer painting",
        price: 1_250_000,
    },
];

impl Product {
    /// The product with this id.
    #[must_use]
    pub fn find(id: &str) -> Option<&'static Product> {
        CATALOG.iter().find(|p| p.id == id)
    }

    /// The createOrder `description` for an order of this product: its name without diacritics
    /// and only the characters 123PAY allows.
    #[must_use]
    pub fn description(&self) -> String {
        text::description(self.name)
    }

    /// The price written as Vietnamese buyers read it: `450.000 ₫`.
    #[must_use]
    pub fn price_text(&self) -> String {
        format_vnd(self.price)
    }
}

/// An amount in VND with `.` between thousands and the dong sign: `1.250.000 ₫`.
#[must_use]
pub fn format_vnd(amount: u64) -> String {
    let digits = amount.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 4);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    out.push_str(" ₫");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_are_written_the_vietnamese_way() {
        assert_eq!(format_vnd(0), "0 ₫");
        assert_eq!(format_vnd(999), "999 ₫");
        assert_eq!(format_vnd(1_000), "1.000 ₫");
        assert_eq!(format_vnd(85_000), "85.000 ₫");
        assert_eq!(format_vnd(1_250_000), "1.250.000 ₫");
    }

    #[test]
    fn descriptions_are_what_123pay_accepts() {
        assert_eq!(
            Product::find("ao-dai").map(Product::description).as_deref(),
            Some("Ao dai lua to tam")
        );
        for p in CATALOG {
            let d = p.description();
            assert!(!d.is_empty() && d.is_ascii(), "{d}");
            assert!(p.price > 0);
        }
        assert!(Product::find("nothing").is_none());
    }
}
