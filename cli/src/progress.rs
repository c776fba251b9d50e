//! A spinner on stderr while waiting (for confirmations), shown only when stderr is a terminal so
//! that scripts and logs never see it.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

const FRAMES: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

/// A running spinner; [`Spinner::finish`] clears its line.
#[derive(Debug)]
pub struct Spinner {
    running: Option<(oneshot::Sender<()>, JoinHandle<()>)>,
}

impl Spinner {
    /// Starts drawing `message` with a spinner and the elapsed seconds, if stderr is a terminal.
    pub fn start(message: String) -> Spinner {
        if !std::io::stderr().is_terminal() {
            return Spinner { running: None };
        }
        let (stop, mut stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let started = Instant::now();
            let mut tick = tokio::time::interval(Duration::from_millis(100));
            for frame in FRAMES.iter().cycle() {
                tokio::select! {
                    _ = &mut stopped => break,
                    _ = tick.tick() => {
                        let mut err = std::io::stderr().lock();
                        let _ = write!(
                            err,
                            "\r\x1b[2K{frame} {message} ({}s)",
                            started.elapsed().as_secs()
                        );
                        let _ = err.flush();
                    }
                }
            }
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r\x1b[2K");
            let _ = err.flush();
        });
        Spinner {
            running: Some((stop, task)),
        }
    }

    /// Stops the spinner and clears its line.
    pub async fn finish(mut self) {
        if let Some((stop, task)) = self.running.take() {
            let _ = stop.send(());
            let _ = task.await;
        }
    }
}
