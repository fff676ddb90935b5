//! Bank codes (`bankCode`) of the specification, section V.

macro_rules! banks {
    ($( $(#[$m:meta])* $variant:ident = $code:literal, $short:literal, $vi:literal; )*) => {
        /// A bank 123PAY can pay through, or [`BankCode::Pay123`] to let the buyer choose.
        #[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
        #[non_exhaustive]
        pub enum BankCode {
            /// `123PAY`: the buyer chooses the bank on 123PAY's page (the default).
            #[default]
            Pay123,
            $( $(#[$m])* $variant, )*
            /// A code this version does not know; kept as received.
            Unknown(String),
        }

        impl BankCode {
            /// Every bank of the specification (not [`BankCode::Pay123`]).
            pub const BANKS: &'static [BankCode] = &[$(BankCode::$variant),*];

            /// The code from its text; unknown codes are kept.
            #[must_use]
            pub fn from_code(code: &str) -> Self {
                match code {
                    "123PAY" => Self::Pay123,
                    $( $code => Self::$variant, )*
                    other => Self::Unknown(other.to_owned()),
                }
            }

            /// The code as sent on the wire.
            #[must_use]
            pub fn code(&self) -> &str {
                match self {
                    Self::Pay123 => "123PAY",
                    $( Self::$variant => $code, )*
                    Self::Unknown(code) => code,
                }
            }

            /// The bank's short name (`Vietcombank`).
            #[must_use]
            pub fn name(&self) -> &'static str {
                match self {
                    Self::Pay123 => "123PAY",
                    $( Self::$variant => $short, )*
                    Self::Unknown(_) => "unknown bank",
                }
            }

            /// The bank's full Vietnamese name, as in the specification.
            #[must_use]
            pub fn vietnamese_name(&self) -> &'static str {
                match self {
                    Self::Pay123 => "Khách hàng chọn ngân hàng tại 123PAY",
                    $( Self::$variant => $vi, )*
                    Self::Unknown(_) => "Ngân hàng không xác định",
                }
            }
        }
    };
}

banks! {
    /// `123PGPB` GPBank
    GpBank = "123PGPB", "GPBank", "Ngân Hàng Dầu Khí Toàn Cầu (GPBank)";
    /// `123PNAB` Nam A Bank
    NamABank = "123PNAB", "Nam A Bank", "Ngân hàng TMCP Nam Á (Nam A Bank)";
    /// `123PPGB` PG Bank
    PgBank = "123PPGB", "PG Bank", "Ngân hàng TMCP Xăng dầu Petrolimex (PG Bank)";
    /// `123PSGB` SaigonBank
    SaigonBank = "123PSGB", "SaigonBank", "Ngân hàng TMCP Sài Gòn Công Thương (SaigonBank)";
    /// `123PAGB` Agribank
    Agribank = "123PAGB", "Agribank", "Ngân hàng Nông nghiệp và Phát triển Nông thôn Việt Nam (Agribank)";
    /// `123PSCB` Sacombank
    Sacombank = "123PSCB", "Sacombank", "Ngân hàng Sài Gòn Thương Tín (Sacombank)";
    /// `123PABB` ABBANK
    AbBank = "123PABB", "ABBANK", "Ngân hàng TMCP An Bình (ABBANK)";
    /// `123PBIDV` BIDV
    Bidv = "123PBIDV", "BIDV", "Ngân hàng TMCP Đầu tư và Phát triển Việt Nam (BIDV)";
    /// `123PEIB` Eximbank
    Eximbank = "123PEIB", "Eximbank", "Ngân hàng Xuất Nhập Khẩu Việt Nam (Eximbank)";
    /// `123PSEAB` SeABank
    SeABank = "123PSEAB", "SeABank", "Ngân hàng Thương Mại Cổ Phần Đông Nam Á (SeABank)";
    /// `123PSHB` SHB
    Shb = "123PSHB", "SHB", "Ngân hàng TMCP Sài Gòn – Hà Nội (SHB)";
    /// `123PVTB` Vietinbank
    Vietinbank = "123PVTB", "Vietinbank", "Ngân hàng Công Thương Việt Nam (Vietinbank)";
    /// `123PDAB` DongA Bank
    DongABank = "123PDAB", "DongA Bank", "Ngân Hàng TMCP Đông Á (DongABank)";
    /// `123PBAB` Bac A Bank
    BacABank = "123PBAB", "Bac A Bank", "Ngân hàng TMCP Bắc Á";
    /// `123POCEB` OceanBank
    OceanBank = "123POCEB", "OceanBank", "Ngân hàng TMCP Đại Dương (OceanBank)";
    /// `123PVAB` Viet A Bank
    VietABank = "123PVAB", "Viet A Bank", "Ngân hàng TMCP Việt Á";
    /// `123PMRTB` Maritime Bank
    MaritimeBank = "123PMRTB", "Maritime Bank", "Ngân hàng TMCP Hàng Hải (Maritime Bank)";
    /// `123PNVB` Navibank
    Navibank = "123PNVB", "Navibank", "Ngân hàng TMCP Nam Việt (NaviBank)";
    /// `123PHDB` HDBank
    HdBank = "123PHDB", "HDBank", "Ngân Hàng TMCP Phát Triển TPHCM (HDBank)";
    /// `123PACB` ACB
    Acb = "123PACB", "ACB", "Ngân hàng Á Châu (ACB)";
    /// `123PMB` MB
    Mb = "123PMB", "MB", "Ngân hàng quân đội (MB)";
    /// `123PVIB` VIB
    Vib = "123PVIB", "VIB", "Ngân hàng quốc tế (VIB)";
    /// `123PTCB` Techcombank
    Techcombank = "123PTCB", "Techcombank", "Ngân hàng Kỹ Thương Việt Nam (Techcombank)";
    /// `123PVCB` Vietcombank
    Vietcombank = "123PVCB", "Vietcombank", "Ngân hàng Ngoại Thương Việt Nam (Vietcombank)";
    /// `123PVPB` VPBank
    VpBank = "123PVPB", "VPBank", "Ngân hàng Việt Nam Thịnh Vượng (VPBank)";
    /// `123PLPB` LienVietPostBank
    LienVietPostBank = "123PLPB", "LienVietPostBank", "Ngân hàng Thương mại Cổ phần Bưu điện Liên Việt (LienVietPostBank)";
    /// `123PBVB` BAOVIET Bank
    BaovietBank = "123PBVB", "BAOVIET Bank", "Ngân hàng TMCP Bảo Việt (BAOVIET Bank)";
    /// `123POCB` OCB
    Ocb = "123POCB", "OCB", "Ngân Hàng TMCP Phương Đông Việt Nam (OCB)";
    /// `123PTPB` TPBank
    TpBank = "123PTPB", "TPBank", "Ngân hàng Tiền Phong (Tien Phong Bank)";
    /// `123PCC` international cards: the specification's table lists "Master Card, Visa Card,
    /// JCB", while its FAQ 7 says JCB cards cannot be paid through 123PAY.
    CreditCard = "123PCC", "Visa/MasterCard/JCB", "Master Card, Visa Card, JCB";
}

impl BankCode {
    /// Whether the code has the form of 123PAY's bank codes: `123P` and capital letters, at most
    /// 20 characters. The one rule of createOrder's builder and of the notify listener: a bank
    /// added after the specification (`123PKLB`) passes, `123pvcb` or `VCB` does not.
    #[must_use]
    pub fn is_well_formed(&self) -> bool {
        has_bank_code_form(self.code())
    }

    /// A bank of the specification or [`BankCode::Pay123`]; `false` for codes this version does
    /// not know.
    #[must_use]
    pub fn is_known(&self) -> bool {
        !matches!(self, Self::Unknown(_))
    }
}

/// Whether `code` has the form of 123PAY's bank codes: `123P` followed by capital letters, at
/// most 20 characters (`123PVCB`, `123PAY`, or a bank added after the specification). The one
/// rule for a bank code, shared by createOrder's builder, the notify listener and the reading of
/// 123PAY's answers: a fixed alphabet, not the list of 2017's banks.
pub(crate) fn has_bank_code_form(code: &str) -> bool {
    code.len() <= 20
        && code
            .strip_prefix("123P")
            .is_some_and(|rest| !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_uppercase()))
}

/// The bank code an id ends with, alone or followed by digits and `-` only (`ORDER123PVCB`,
/// `ORDER123PVCB720`, `ORDER-123PAY-1`, `123PXYZ1`): any code of 123PAY's form
/// ([`has_bank_code_form`]), at any place. Such an id, joined with a return code and a `ts`,
/// reads as a notify (the part before the code being its `mTransactionID`, maybe empty): see
/// [`Rule::EndsWithBankCode`](crate::Rule::EndsWithBankCode).
pub(crate) fn trailing_bank_code(id: &str) -> Option<&str> {
    let bytes = id.as_bytes();
    (0..bytes.len())
        .filter(|&i| bytes[i..].starts_with(b"123P"))
        .find_map(|i| {
            let rest = &id[i..];
            let letters = rest[4..].bytes().take_while(u8::is_ascii_uppercase).count();
            let code = &rest[..4 + letters];
            let tail_is_digits = rest[code.len()..]
                .bytes()
                .all(|b| b.is_ascii_digit() || b == b'-');
            (letters > 0 && tail_is_digits && has_bank_code_form(code)).then_some(code)
        })
}

wire_code!(BankCode);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thirty_banks_round_trip() {
        assert_eq!(BankCode::BANKS.len(), 30);
        for b in BankCode::BANKS {
            assert_eq!(&BankCode::from_code(b.code()), b);
            assert!(b.code().starts_with("123P"));
        }
        assert_eq!(BankCode::from_code("123PAY"), BankCode::Pay123);
        assert_eq!(BankCode::from_code("123PVCB").name(), "Vietcombank");
        // The specification's table names JCB, though its FAQ 7 says JCB is not supported.
        assert_eq!(
            BankCode::CreditCard.vietnamese_name(),
            "Master Card, Visa Card, JCB"
        );
        assert_eq!(
            BankCode::from_code("123PXYZ"),
            BankCode::Unknown("123PXYZ".into())
        );
    }

    #[test]
    fn ids_that_end_with_a_bank_code_and_digits_are_found() {
        for (id, bank) in [
            ("ORD123PVCB", Some("123PVCB")),
            ("ORD123PVCB720", Some("123PVCB")),
            ("ORD123PVCB-1", Some("123PVCB")),
            ("X123PAY", Some("123PAY")),
            ("A-123PMB7", Some("123PMB")),
            // Capitals after a code make a longer code of the same form.
            ("ORD123PVCBX", Some("123PVCBX")),
            // Something other than digits after the bank code: it cannot be a status and a ts.
            ("ORD123PVCB1A", None),
            ("ORD123PVCBx", None),
            // A code of 123PAY's form, known or not, at any place: the notify's mTransactionID
            // may be empty.
            ("123PVCB", Some("123PVCB")),
            ("123PVCB1", Some("123PVCB")),
            ("123PXYZ1", Some("123PXYZ")),
            ("ORD123PKLB-7", Some("123PKLB")),
            ("ORD123PAB123PVCB1", Some("123PVCB")),
            ("ORD123PX1Y", None),
            ("ORD123P1", None),
            ("SHOP20250102030405A1B2C3D4E5F6", None),
            ("ORDER-1", None),
        ] {
            assert_eq!(trailing_bank_code(id), bank, "{id}");
        }
    }

    #[test]
    fn the_form_of_a_bank_code() {
        for code in [
            "123PAY",
            "123PVCB",
            "123PKLB",
            "123PCC",
            "123PABCDEFGHIJKLMNOP",
        ] {
            assert!(has_bank_code_form(code), "{code}");
        }
        for code in [
            "",
            "123P",
            "123pvcb",
            "123PVCB1",
            "123PVCB-",
            "VCB",
            "123PABCDEFGHIJKLMNOPQ",
        ] {
            assert!(!has_bank_code_form(code), "{code}");
        }
    }
}
