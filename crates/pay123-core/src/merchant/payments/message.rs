//! What a payment's state means for the buyer, in Vietnamese and English: the text of an order
//! page or a return page.

use crate::message::status::TransactionStatus;

use super::record::{Payment, PaymentState};

impl Payment {
    /// What the payment's state means for the buyer, in Vietnamese: paid, failed with 123PAY's
    /// text for the status, waiting (with the step the buyer is at), not created (with the
    /// reason), held for review, closed. Never a secret or an operator's detail.
    #[must_use]
    pub fn vietnamese(&self) -> String {
        self.messages().0
    }

    /// The same in English.
    #[must_use]
    pub fn english(&self) -> String {
        self.messages().1
    }

    /// The buyer's message, in Vietnamese and in English, side by side so that the two stay
    /// translations of each other.
    fn messages(&self) -> (String, String) {
        let fixed = |vi: &str, en: &str| (vi.to_owned(), en.to_owned());
        let status = self.transaction_status.as_ref();
        match self.state {
            PaymentState::Paid => fixed(
                "Thanh toán thành công. Cảm ơn quý khách!",
                "Payment successful. Thank you!",
            ),
            PaymentState::Failed => match status {
                Some(s) => (
                    format!(
                        "Thanh toán không thành công: {} (mã {}).",
                        s.vietnamese().trim_end_matches('.'),
                        s.code()
                    ),
                    format!("The payment failed: {} (code {}).", s.english(), s.code()),
                ),
                None => fixed("Thanh toán không thành công.", "The payment failed."),
            },
            PaymentState::NotCreated => {
                let (vi, en) = crate::merchant::failure::headline_of_code(
                    self.error_code.as_deref().unwrap_or(""),
                );
                (
                    format!("{vi}. Đơn hàng đã được lưu nhưng chưa thể thanh toán."),
                    format!("{en}. The order is saved but cannot be paid now."),
                )
            }
            PaymentState::Review => fixed(
                "Kết quả thanh toán chưa khớp với đơn hàng; cửa hàng đang kiểm tra và sẽ liên hệ \
                 quý khách.",
                "The payment result does not match the order; the shop is checking it and will \
                 contact you.",
            ),
            // createOrder has not answered yet: the page will know more soon.
            PaymentState::Creating => fixed(
                "Giao dịch đang được khởi tạo tại 123PAY; vui lòng tải lại trang sau giây lát.",
                "The payment is still being created at 123PAY; please reload this page in a \
                 moment.",
            ),
            PaymentState::Unsure => fixed(
                "Cửa hàng chưa nhận được xác nhận của 123PAY cho giao dịch này và đang kiểm tra \
                 lại. Quý khách chưa bị trừ tiền; vui lòng không đặt lại đơn này và tải lại trang \
                 sau ít phút.",
                "The shop has not heard from 123PAY whether this payment was created and is \
                 checking. You have not been charged; please do not order again, and reload this \
                 page in a few minutes.",
            ),
            PaymentState::Closed => fixed(
                "123PAY không có giao dịch này (giao dịch không tồn tại); đơn hàng đã đóng và quý \
                 khách không bị trừ tiền.",
                "123PAY has no such payment; the order is closed and you were not charged.",
            ),
            // createOrder's answer never reached the shop; the reconciler found that 123PAY has
            // the payment, untouched so far. The buyer may or may not have reached the page:
            // nothing here invites a second order while it may be paid.
            PaymentState::Pending
                if self.payment_url.is_none()
                    && status.is_none_or(|s| *s == TransactionStatus::New) =>
            {
                fixed(
                    "Cửa hàng không nhận được trang thanh toán của 123PAY cho đơn hàng này. Nếu \
                     quý khách chưa thanh toán, giao dịch sẽ tự hết hạn tại 123PAY khi hết phiên \
                     thanh toán và quý khách không bị trừ tiền; vui lòng chờ kết quả trên trang \
                     này trước khi đặt lại đơn hàng.",
                    "The shop did not receive 123PAY's payment page for this order. If you have \
                     not paid, the payment expires at 123PAY when its session ends and you will \
                     not be charged; please wait for the result on this page before ordering \
                     again.",
                )
            }
            PaymentState::Pending => match status {
                Some(s) if s.is_pending() && !matches!(s, TransactionStatus::Unknown(_)) => (
                    format!(
                        "Đang chờ kết quả thanh toán: {} (mã {}). Vui lòng tải lại trang sau ít \
                         phút.",
                        s.vietnamese().trim_end_matches('.'),
                        s.code()
                    ),
                    format!(
                        "Waiting for the payment result: {} (code {}). Please reload this page in \
                         a few minutes.",
                        s.english(),
                        s.code()
                    ),
                ),
                _ => fixed(
                    "Đang chờ kết quả thanh toán từ 123PAY. Vui lòng tải lại trang sau ít phút.",
                    "Waiting for the payment result from 123PAY. Please reload this page in a \
                     few minutes.",
                ),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::SystemTime;

    use super::*;

    fn payment(state: PaymentState) -> Payment {
        Payment::restore("ORDER-1", 1000, state, SystemTime::UNIX_EPOCH, 2)
    }

    #[test]
    fn each_state_speaks_to_the_buyer() {
        let mut failed = payment(PaymentState::Failed);
        failed.transaction_status = Some(TransactionStatus::Cancelled);
        assert_eq!(
            failed.vietnamese(),
            "Thanh toán không thành công: Đơn hàng bị hủy (mã -100)."
        );
        assert_eq!(
            failed.english(),
            "The payment failed: order cancelled (code -100)."
        );
        let mut busy = payment(PaymentState::NotCreated);
        busy.error_code = Some("5000".to_owned());
        assert!(
            busy.vietnamese().starts_with("Hệ thống bận (mã 5000)."),
            "{}",
            busy.vietnamese()
        );
        let mut auth = payment(PaymentState::NotCreated);
        auth.error_code = Some("6000".to_owned());
        assert!(
            !auth.vietnamese().contains("Xác thực"),
            "{}",
            auth.vietnamese()
        );
        let mut otp = payment(PaymentState::Pending);
        otp.payment_url = Some("https://123pay.vn/pay".to_owned());
        otp.transaction_status = Some(TransactionStatus::AwaitingOtp);
        assert!(
            otp.english().contains("waiting for the OTP (code 11)"),
            "{}",
            otp.english()
        );
        // 123PAY's page never reached the shop: wait, do not order again.
        let lost = payment(PaymentState::Pending);
        assert!(
            lost.english().contains("before ordering again"),
            "{}",
            lost.english()
        );
        for state in PaymentState::ALL {
            let p = payment(state);
            assert!(
                !p.vietnamese().is_empty() && !p.english().is_empty(),
                "{state}"
            );
        }
    }
}
