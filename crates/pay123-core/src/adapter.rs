//! What every framework adapter declares the same way, as macros: a type of its own is needed
//! for each framework's traits (Rust's orphan rule), its methods are the same everywhere.
//! Hidden from the documentation: for pay123's adapters, and for an adapter of your own.

/// Declares an adapter's error: a newtype over [`Error`](crate::Error) that `?` converts any
/// pay123 error into (`From<E: Into<pay123_core::Error>>`), displays and sources as the core's
/// error, and gives it back ([`inner`]). The adapter implements its framework's response trait
/// on it with [`Error::to_response`](crate::Error::to_response) and
/// [`Error::log_answered`](crate::Error::log_answered).
///
/// ```
/// pay123_core::adapter_error! {
///     /// pay123's errors as my framework's responses.
///     pub struct Error;
/// }
/// let e = Error::from(pay123_core::QueryOrder::new("A\tB").unwrap_err());
/// assert_eq!(e.inner().http_status(), 500);
/// assert!(e.to_string().contains("mTransactionID"));
/// ```
#[macro_export]
#[doc(hidden)]
macro_rules! adapter_error {
    ($(#[$meta:meta])* $vis:vis struct $name:ident;) => {
        $(#[$meta])*
        #[derive(Debug)]
        $vis struct $name($crate::Error);

        impl $name {
            /// The core's error.
            #[must_use]
            pub fn inner(&self) -> &$crate::Error {
                &self.0
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                ::std::fmt::Display::fmt(&self.0, f)
            }
        }

        impl ::std::error::Error for $name {
            fn source(&self) -> ::std::option::Option<&(dyn ::std::error::Error + 'static)> {
                ::std::error::Error::source(&self.0)
            }
        }

        /// `?` on any pay123 error: the core's [`Error`]($crate::Error) and every error it wraps.
        impl<E: ::std::convert::Into<$crate::Error>> ::std::convert::From<E> for $name {
            fn from(error: E) -> Self {
                Self(error.into())
            }
        }
    };
}

/// Declares an adapter's verified notify and its rejection: a newtype over
/// [`Verified`](crate::Verified) that reads as the [`Notify`](crate::Notify) it carries
/// (`notify()`, `into_notify()`, `Deref`), and a newtype over the core's answer to a refused
/// notify ([`PlainResponse`](crate::PlainResponse): `response()`). The adapter adds its
/// extractor (or data guard), a `reply` that answers in its framework's response type with
/// [`Verified::reply`](crate::Verified::reply), and the rejection's response.
///
/// ```
/// pay123_core::adapter_verified_notify! {
///     /// A notify verified by the core, for a route of your own.
///     pub struct VerifiedNotify;
///     /// The core's answer to a refused notify.
///     pub struct NotifyRejection;
/// }
/// ```
#[macro_export]
#[doc(hidden)]
macro_rules! adapter_verified_notify {
    (
        $(#[$meta:meta])* $vis:vis struct $name:ident;
        $(#[$rmeta:meta])* $rvis:vis struct $rejection:ident;
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone)]
        $vis struct $name($crate::Verified);

        impl $name {
            /// The verified notify.
            #[must_use]
            pub fn notify(&self) -> &$crate::Notify {
                self.0.notify()
            }

            /// The verified notify, without the means to reply.
            #[must_use]
            pub fn into_notify(self) -> $crate::Notify {
                self.0.into_notify()
            }
        }

        impl ::std::ops::Deref for $name {
            type Target = $crate::Notify;

            fn deref(&self) -> &$crate::Notify {
                self.0.notify()
            }
        }

        $(#[$rmeta])*
        #[derive(Debug, Clone)]
        $rvis struct $rejection($crate::PlainResponse);

        impl $rejection {
            /// The answer.
            #[must_use]
            pub fn response(&self) -> &$crate::PlainResponse {
                &self.0
            }
        }
    };
}
