//! Codes of the specification: transaction statuses, createOrder/queryOrder return codes and
//! notify reply codes. Codes the gateway adds later are kept as `Unknown`, never lost.

/// Defines a code enum with an `Unknown(String)` variant, its Vietnamese and English texts.
macro_rules! code_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $code:literal, $vi:literal, $en:literal; )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
            /// A code this version does not know; the text received is kept.
            Unknown(String),
        }

        impl $name {
            /// Every known code.
            pub const KNOWN: &'static [$name] = &[$($name::$variant),*];

            /// The code from its text (`"7201"`); unknown codes are kept.
            #[must_use]
            pub fn from_code(code: &str) -> Self {
                match code {
                    $( $code => Self::$variant, )*
                    other => Self::Unknown(other.to_owned()),
                }
            }

            /// The code as sent on the wire.
            #[must_use]
            pub fn code(&self) -> &str {
                match self {
                    $( Self::$variant => $code, )*
                    Self::Unknown(code) => code,
                }
            }

            /// The specification's Vietnamese text.
            #[must_use]
            pub fn vietnamese(&self) -> &'static str {
                match self {
                    $( Self::$variant => $vi, )*
                    Self::Unknown(_) => "Mã không xác định",
                }
            }

            /// An English text.
            #[must_use]
            pub fn english(&self) -> &'static str {
                match self {
                    $( Self::$variant => $en, )*
                    Self::Unknown(_) => "unknown code",
                }
            }
        }

        wire_code!($name);
    };
}

code_enum! {
    /// The status of a transaction (queryOrder's and notify's `transactionStatus`).
    ///
    /// `1` is the only success. `0`, `10`, `11`, `20` and unknown codes are pending: query again
    /// later, never cancel an order on them. Every other code of the specification is a final
    /// failure.
    pub enum TransactionStatus {
        /// `0`: new.
        New = "0", "Mới", "new";
        /// `1`: paid.
        Success = "1", "Thành công", "successful";
        /// `-10`: no such transaction.
        NotFound = "-10", "Giao dịch không tồn tại. Vui lòng thực hiện giao dịch mới.", "no such transaction; start a new one";
        /// `-100`: cancelled by the buyer.
        Cancelled = "-100", "Đơn hàng bị hủy", "order cancelled";
        /// `10`: checking the account; not debited.
        CheckingAccount = "10", "Đang kiểm tra thông tin tài khoản. Giao dịch chưa bị trừ tiền.", "checking account details; not debited yet";
        /// `11`: at the OTP step.
        AwaitingOtp = "11", "Giao dịch đang ở bước nhập OTP.", "waiting for the OTP";
        /// `20`: the bank's result is not known yet.
        BankResultUnknown = "20", "Không xác định trạng thái thanh toán từ ngân hàng", "result from the bank not known yet";
        /// `5000`: system busy.
        Busy = "5000", "Hệ thống bận", "system busy";
        /// `6200`: business-rule violation.
        BusinessRule = "6200", "Vi phạm quy định nghiệp vụ giữa đối tác & 123Pay", "business rule between merchant and 123PAY violated";
        /// `6212`: over the payment limit.
        OverLimit = "6212", "Ngoài giới hạn thanh toán / giao dịch", "over the payment/transaction limit";
        /// `7200`: invalid payment information.
        InvalidPaymentInfo = "7200", "Thông tin thanh toán không hợp lệ", "invalid payment information";
        /// `7201`: insufficient funds.
        InsufficientFunds = "7201", "Không đủ tiền trong tài khoản thanh toán", "insufficient funds";
        /// `7202`: below the minimum balance.
        BelowMinimumBalance = "7202", "Không đảm bảo số dư tối thiểu trong tài khoản thanh toán", "minimum balance not kept";
        /// `7203`: bank limit on the amount per day.
        DailyAmountLimit = "7203", "Giới hạn tại ngân hàng: Tổng số tiền / ngày", "bank limit: total amount per day";
        /// `7204`: bank limit on the number of transactions per day.
        DailyCountLimit = "7204", "Giới hạn tại ngân hàng: Tổng số giao dịch / ngày", "bank limit: transactions per day";
        /// `7205`: bank limit per transaction.
        TransactionLimit = "7205", "Giới hạn tại ngân hàng: Giá trị / giao dịch", "bank limit: amount per transaction";
        /// `7210`: the buyer entered no payment information.
        NoPaymentInfo = "7210", "Khách hàng không nhập thông tin thanh toán", "buyer entered no payment information";
        /// `7211`: not registered for online payment.
        NotRegistered = "7211", "Chưa đăng ký dịch vụ thanh toán trực tuyến", "account not registered for online payment";
        /// `7212`: online payment suspended.
        OnlinePaymentSuspended = "7212", "Dịch vụ thanh toán trực tuyến của tài khoản đang tạm khóa", "online payment suspended";
        /// `7213`: account locked.
        AccountLocked = "7213", "Tài khoản thanh toán bị khóa", "account locked";
        /// `7220`: the buyer entered no OTP.
        NoOtp = "7220", "Khách hàng không nhập OTP", "buyer entered no OTP";
        /// `7221`: wrong card or account information three times.
        WrongCardInfoThreeTimes = "7221", "Nhập sai thông tin thẻ/tài khoản quá 3 lần", "wrong card/account details three times";
        /// `7222`: wrong OTP.
        WrongOtp = "7222", "Sai thông tin OTP", "wrong OTP";
        /// `7223`: OTP expired.
        OtpExpired = "7223", "OTP hết hạn", "OTP expired";
        /// `7224`: wrong OTP three times.
        WrongOtpThreeTimes = "7224", "Nhập sai thông tin OTP quá 3 lần", "wrong OTP three times";
        /// `7231`: wrong card holder name.
        WrongHolderName = "7231", "Sai tên chủ thẻ", "wrong card holder name";
        /// `7232`: invalid card, customer or account.
        InvalidCard = "7232", "Card không hợp lệ, không tìm thấy khách hàng / tài khoản", "invalid card; customer or account not found";
        /// `7233`: expired card.
        ExpiredCard = "7233", "Expired Card", "expired card";
        /// `7234`: lost card.
        LostCard = "7234", "Lost Card", "lost card";
        /// `7235`: stolen card.
        StolenCard = "7235", "Stolen Card", "stolen card";
        /// `7236`: card deleted.
        DeletedCard = "7236", "Card is marked deleted", "card is marked deleted";
        /// `7241`: card security code failed.
        CvvFailed = "7241", "Credit Card - Card Security Code verification failed", "credit card: security code verification failed";
        /// `7242`: address verification failed.
        AddressFailed = "7242", "Credit Card - Address Verification Failed", "credit card: address verification failed";
        /// `7243`: address and security code failed.
        AddressAndCvvFailed = "7243", "Credit Card - Address Verification and Card Security Code Failed", "credit card: address and security code verification failed";
        /// `7244`: risk checks failed.
        RiskCheckFailed = "7244", "Credit Card - Card did not pass all risk checks", "credit card: risk checks failed";
        /// `7245`: the bank declined.
        BankDeclined = "7245", "Credit Card - Bank Declined Transaction", "credit card: bank declined";
        /// `7246`: account on hold.
        AccountOnHold = "7246", "Credit Card - Account has stop/hold(hold money,...)", "credit card: account on hold";
        /// `7247`: account closed.
        AccountClosed = "7247", "Credit Card - Account closed", "credit card: account closed";
        /// `7248`: account frozen.
        AccountFrozen = "7248", "Credit Card - Frozen Account", "credit card: account frozen";
        /// `7299`: unsuccessful.
        Unsuccessful = "7299", "Giao dịch không thành công", "transaction unsuccessful";
        /// `7300`: bank communication error.
        BankCommunication = "7300", "Lỗi giao tiếp hệ thống ngân hàng", "bank communication error";
    }
}

impl ReturnCode {
    /// createOrder's error table in the specification.
    pub const CREATE_ORDER_ERRORS: &'static [ReturnCode] = &[
        Self::Busy,
        Self::AuthenticationFailed,
        Self::InvalidParameter,
        Self::BusinessRule,
        Self::BankMaintenance,
        Self::DuplicateTransaction,
        Self::OverLimit,
        Self::InvalidPaymentInfo,
        Self::BankCommunication,
    ];

    /// queryOrder's error table in the specification.
    pub const QUERY_ORDER_ERRORS: &'static [ReturnCode] = &[
        Self::Busy,
        Self::AuthenticationFailed,
        Self::InvalidParameter,
        Self::BankCommunication,
    ];
}

impl TransactionStatus {
    /// `1` only.
    #[must_use]
    pub fn is_success(&self) -> bool {
        matches!(self, Self::Success)
    }

    /// `0`, `10`, `11`, `20` and unknown codes: not final, query again later.
    #[must_use]
    pub fn is_pending(&self) -> bool {
        matches!(
            self,
            Self::New
                | Self::CheckingAccount
                | Self::AwaitingOtp
                | Self::BankResultUnknown
                | Self::Unknown(_)
        )
    }

    /// Success or a failure that will not change.
    #[must_use]
    pub fn is_final(&self) -> bool {
        !self.is_pending()
    }

    /// A final failure.
    #[must_use]
    pub fn is_failure(&self) -> bool {
        self.is_final() && !self.is_success()
    }

    /// Whether a transaction 123PAY has can be in this status: all but `-10`, which is its answer
    /// about a transaction it does not have.
    #[must_use]
    pub fn is_status_of_a_transaction(&self) -> bool {
        !matches!(self, Self::NotFound)
    }

    /// `"success"`, `"failure"` or `"pending"`: what the status means for the order, in one
    /// word (for logs, JSON and pages).
    #[must_use]
    pub fn outcome(&self) -> &'static str {
        if self.is_success() {
            "success"
        } else if self.is_failure() {
            "failure"
        } else {
            "pending"
        }
    }
}

code_enum! {
    /// The `returnCode` of a createOrder or queryOrder answer.
    pub enum ReturnCode {
        /// `1`: success.
        Success = "1", "Thành công", "success";
        /// `5000`: system busy; try again later.
        Busy = "5000", "Hệ thống bận", "system busy";
        /// `6000`: merchant authentication failed (checksum, merchant code or passcode).
        AuthenticationFailed = "6000", "Xác thực đối tác thất bại", "merchant authentication failed";
        /// `6100`: a parameter is malformed or missing.
        InvalidParameter = "6100", "Tham số truyền vào không đúng định dạng yêu cầu", "a parameter is malformed or missing";
        /// `6200`: business-rule violation.
        BusinessRule = "6200", "Vi phạm quy định nghiệp vụ giữa đối tác & 123Pay", "business rule between merchant and 123PAY violated";
        /// `6203`: the bank is under maintenance.
        BankMaintenance = "6203", "Ngân hàng đang bảo trì", "bank under maintenance";
        /// `6206`: the mTransactionID was used before.
        DuplicateTransaction = "6206", "Giao dịch đã được xử lý trước đó (trùng ID)", "transaction already processed (duplicate mTransactionID)";
        /// `6212`: over the payment limit.
        OverLimit = "6212", "Vượt quá giới hạn thanh toán / giao dịch", "over the payment/transaction limit";
        /// `7200`: invalid payment information.
        InvalidPaymentInfo = "7200", "Thông tin thanh toán không hợp lệ", "invalid payment information";
        /// `7300`: bank communication error.
        BankCommunication = "7300", "Lỗi giao tiếp hệ thống ngân hàng", "bank communication error";
    }
}

impl ReturnCode {
    /// Worth retrying later with the same order (`5000`, `7300`).
    #[must_use]
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Busy | Self::BankCommunication)
    }
}

code_enum! {
    /// The `returnCode` of a notify reply (merchant to 123PAY).
    pub enum NotifyReturnCode {
        /// `1`: the notify was processed.
        Processed = "1", "Notify thành công", "notify processed";
        /// `2`: the order had been updated before (a duplicate notify).
        AlreadyUpdated = "2", "Đơn hàng đã được cập nhật trạng thái trước đó.", "order already updated before";
        /// `-1`: the checksum is invalid (also: malformed notify, ts out of window).
        InvalidChecksum = "-1", "checksum invalid", "checksum invalid";
        /// `-2`: the ts has expired. Not in the specification; seen in 123PAY's sample code.
        Expired = "-2", "ts hết hạn", "ts expired";
        /// `-3`: the merchant failed to update the order; 123PAY retries.
        UpdateFailed = "-3", "Cập nhật trạng thái đơn hàng đối tác thất bại", "merchant failed to update the order";
    }
}

impl NotifyReturnCode {
    /// 123PAY stops sending the notify on `1` and `2`.
    #[must_use]
    pub fn is_acknowledged(&self) -> bool {
        matches!(self, Self::Processed | Self::AlreadyUpdated)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::BankCode;

    #[test]
    fn codes_serialize_as_their_wire_text_and_unknown_codes_are_kept() {
        let json = serde_json::to_string(&(
            TransactionStatus::InsufficientFunds,
            TransactionStatus::from_code("7777"),
            ReturnCode::Busy,
            NotifyReturnCode::from_code("-3"),
            BankCode::Vietcombank,
            BankCode::from_code("123PKLB"),
            None::<TransactionStatus>,
        ))
        .unwrap();
        assert_eq!(
            json,
            r#"["7201","7777","5000","-3","123PVCB","123PKLB",null]"#
        );
        let read: (
            TransactionStatus,
            TransactionStatus,
            ReturnCode,
            NotifyReturnCode,
            BankCode,
            BankCode,
            Option<TransactionStatus>,
        ) = serde_json::from_str(&json).unwrap();
        assert_eq!(read.0, TransactionStatus::InsufficientFunds);
        assert_eq!(read.1, TransactionStatus::Unknown("7777".to_owned()));
        assert_eq!(read.2, ReturnCode::Busy);
        assert_eq!(read.3.code(), "-3");
        assert_eq!(read.4, BankCode::Vietcombank);
        assert_eq!(read.5, BankCode::Unknown("123PKLB".to_owned()));
        assert_eq!(read.6, None);
        assert!(
            serde_json::from_str::<TransactionStatus>("7201").is_err(),
            "a number is not a code"
        );
    }

    #[test]
    fn pending_is_never_failure() {
        for code in ["0", "10", "11", "20", "42", "-7"] {
            let s = TransactionStatus::from_code(code);
            assert!(s.is_pending(), "{code}");
            assert!(
                !s.is_final() && !s.is_success() && !s.is_failure(),
                "{code}"
            );
        }
        assert!(TransactionStatus::from_code("1").is_success());
        assert!(TransactionStatus::from_code("1").is_final());
        for s in TransactionStatus::KNOWN {
            let pending = matches!(s.code(), "0" | "10" | "11" | "20");
            assert_eq!(s.is_pending(), pending, "{s}");
            assert_eq!(s.is_failure(), !pending && s.code() != "1", "{s}");
            let outcome = match s.code() {
                "1" => "success",
                _ if pending => "pending",
                _ => "failure",
            };
            assert_eq!(s.outcome(), outcome, "{s}");
        }
        assert_eq!(TransactionStatus::from_code("-7").outcome(), "pending");
        assert!(!TransactionStatus::NotFound.is_status_of_a_transaction());
        assert!(TransactionStatus::Cancelled.is_status_of_a_transaction());
        assert!(TransactionStatus::from_code("4242").is_status_of_a_transaction());
    }

    #[test]
    fn codes_round_trip_and_unknown_is_kept() {
        for s in TransactionStatus::KNOWN {
            assert_eq!(&TransactionStatus::from_code(s.code()), s);
        }
        assert_eq!(TransactionStatus::KNOWN.len(), 41);
        assert_eq!(
            TransactionStatus::from_code("7777"),
            TransactionStatus::Unknown("7777".into())
        );
        assert_eq!(TransactionStatus::from_code("7777").code(), "7777");
        for c in ReturnCode::KNOWN {
            assert_eq!(&ReturnCode::from_code(c.code()), c);
        }
        assert!(ReturnCode::from_code("5000").is_retryable());
        assert!(!ReturnCode::from_code("6000").is_retryable());
        assert_eq!(
            TransactionStatus::from_code("7201").vietnamese(),
            "Không đủ tiền trong tài khoản thanh toán"
        );
    }
}
