//! Async functions as handlers: [`HandlerFn`] is implemented for every function of up to four
//! extractor arguments ([`FromRequest`]), for any kind of request.

use std::future::Future;

use spate_protocol::JsonObject;

use super::extract::{FromRequest, Rejection, Request};

/// An async function whose arguments are taken from a request carrying `P`. `M` is the tuple
/// of its argument types (it only tells the implementations apart). Tools, resources,
/// templates and prompts each ask for a particular [`Output`](HandlerFn::Output).
pub trait HandlerFn<P, M>: Clone + Send + Sync + 'static {
    /// What the function returns.
    type Output: Send + 'static;
    /// The JSON Schema of its arguments, from the first extractor that has one.
    fn input_schema() -> Option<JsonObject>;
    /// Takes the arguments from `request` and runs the function. The future is not boxed:
    /// the registry boxes each handler's call once, where it erases the handler's type.
    #[doc(hidden)]
    fn call(
        &self,
        request: Request<P>,
    ) -> impl Future<Output = Result<Self::Output, Rejection>> + Send + 'static;
}

macro_rules! handler {
    ($($arg:ident),*) => {
        impl<P, F, Fut, $($arg,)*> HandlerFn<P, ($($arg,)*)> for F
        where
            P: Send + 'static,
            F: Fn($($arg),*) -> Fut + Clone + Send + Sync + 'static,
            Fut: Future + Send + 'static,
            Fut::Output: Send + 'static,
            $($arg: FromRequest<P>,)*
        {
            type Output = Fut::Output;

            fn input_schema() -> Option<JsonObject> {
                None$(.or_else($arg::input_schema))*
            }

            #[allow(non_snake_case, unused_mut, unused_variables)]
            fn call(
                &self,
                mut request: Request<P>,
            ) -> impl Future<Output = Result<Self::Output, Rejection>> + Send + 'static {
                let f = self.clone();
                async move {
                    $(let $arg = $arg::from_request(&mut request)?;)*
                    Ok(f($($arg),*).await)
                }
            }
        }
    };
}

handler!();
handler!(A1);
handler!(A1, A2);
handler!(A1, A2, A3);
handler!(A1, A2, A3, A4);
