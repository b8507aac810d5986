//! Argument completion (`completion/complete`) for prompt arguments and template variables.

use std::collections::BTreeMap;
use std::sync::Arc;

use spate_protocol::{CompleteResult, Completion};

/// Completes one argument: given the typed prefix and the other arguments, the candidates.
pub type Completer = Arc<dyn Fn(&str, &BTreeMap<String, String>) -> Vec<String> + Send + Sync>;

/// The spec caps a completion response at 100 values.
const MAX_VALUES: usize = 100;

/// Builds the result from all candidates: at most 100 values, with the true total and `hasMore`.
pub(crate) fn complete_result(candidates: Vec<String>) -> CompleteResult {
    let total = candidates.len();
    let values: Vec<String> = candidates.into_iter().take(MAX_VALUES).collect();
    let has_more = total > values.len();
    CompleteResult {
        completion: Completion {
            values,
            total: Some(total as u64),
            has_more: Some(has_more),
        },
        ..Default::default()
    }
}

/// Candidates from a fixed list that start with the prefix (case-insensitive).
pub fn prefix_matches<'a>(options: impl IntoIterator<Item = &'a str>, prefix: &str) -> Vec<String> {
    let prefix = prefix.to_lowercase();
    options
        .into_iter()
        .filter(|o| o.to_lowercase().starts_with(&prefix))
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_at_one_hundred_and_says_there_is_more() {
        let r = complete_result((0..150).map(|i| i.to_string()).collect());
        assert_eq!(r.completion.values.len(), 100);
        assert_eq!(r.completion.total, Some(150));
        assert_eq!(r.completion.has_more, Some(true));
        assert_eq!(
            prefix_matches(["Alpha", "beta", "alps"], "AL"),
            ["Alpha", "alps"]
        );
    }
}
