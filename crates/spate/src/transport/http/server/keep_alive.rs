//! When an SSE stream owes its client a keep-alive comment.
//!
//! A stream waits for its next event many times a second under load and almost never goes
//! quiet for a whole period. Arming a fresh timer for every wait would put one timer in and
//! out of the runtime's wheel per event; this keeps one timer per stream instead, moved only
//! when it fires, and tells a quiet stream from a busy one by the time of its last write.

use std::future::Future;
use std::pin::{Pin, pin};
use std::time::Duration;

use futures_util::future::{Either, select};
use tokio::time::{Instant, Sleep};

/// The keep-alive clock of one stream.
pub(super) struct KeepAlive {
    period: Duration,
    /// When the stream last wrote something (an event or a comment).
    last_write: Instant,
    timer: Pin<Box<Sleep>>,
}

impl KeepAlive {
    /// A clock that first asks for a comment `period` from now.
    pub(super) fn new(period: Duration) -> Self {
        let now = Instant::now();
        Self {
            period,
            last_write: now,
            timer: Box::pin(tokio::time::sleep_until(now + period)),
        }
    }

    /// Notes that the stream wrote something now.
    pub(super) fn wrote(&mut self) {
        self.last_write = Instant::now();
    }

    /// Waits for `next`; `None` once the stream has been quiet for a whole period, when a
    /// comment is due (the clock then counts from now, as if the comment were written).
    pub(super) async fn or_quiet<F: Future>(&mut self, next: F) -> Option<F::Output> {
        let mut next = pin!(next);
        loop {
            match select(next.as_mut(), self.timer.as_mut()).await {
                Either::Left((out, _)) => return Some(out),
                Either::Right(((), _)) => {
                    let due = self.last_write + self.period;
                    let now = Instant::now();
                    if now >= due {
                        self.last_write = now;
                        self.timer.as_mut().reset(now + self.period);
                        return None;
                    }
                    // Something was written since the timer was set: count from that.
                    self.timer.as_mut().reset(due);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_quiet_stream_is_due_a_comment_every_period() {
        let mut clock = KeepAlive::new(Duration::from_secs(15));
        let started = Instant::now();
        assert!(clock.or_quiet(std::future::pending::<()>()).await.is_none());
        assert_eq!(started.elapsed(), Duration::from_secs(15));
        assert!(clock.or_quiet(std::future::pending::<()>()).await.is_none());
        assert_eq!(started.elapsed(), Duration::from_secs(30));
    }

    #[tokio::test(start_paused = true)]
    async fn writes_put_the_comment_off_and_events_come_through() {
        let mut clock = KeepAlive::new(Duration::from_secs(15));
        let started = Instant::now();
        tokio::time::sleep(Duration::from_secs(10)).await;
        clock.wrote();
        // An event that comes before the period ends is handed over as it is.
        let event = clock
            .or_quiet(async {
                tokio::time::sleep(Duration::from_secs(2)).await;
                7
            })
            .await;
        assert_eq!(event, Some(7));
        // Quiet from second 10 on: the comment is due at 25, not at 15.
        assert!(clock.or_quiet(std::future::pending::<()>()).await.is_none());
        assert_eq!(started.elapsed(), Duration::from_secs(25));
    }
}
