//! The `analyzer` worker: keeps listings complete and current from their own websites. Its
//! cron (02:00, 14:00, 20:00 UTC) selects the due listings fairly
//! (`kbc_domain::analysis::select_due`) and puts one message per listing on its queue; its
//! queue consumer analyzes a batch a few listings at a time (`analyze`: read the website
//! through the guard (`reader`), extract, offer each value), retries what failed for a
//! passing reason with a growing delay, and records what kept failing — the queue's
//! dead-letter queue, consumed here too — in the list admins replay from the console (the
//! agent asks through its service binding: `POST /replay` takes the requests recorded in D1).
//! On the 14:00 run the model also writes (`writer`). `offers` (what facts offer a listing)
//! is plain Rust, tested natively; the rest runs only in a Worker.

pub mod offers;

#[cfg(target_arch = "wasm32")]
mod analyze;
#[cfg(target_arch = "wasm32")]
mod reader;
#[cfg(target_arch = "wasm32")]
mod worker_entry;
#[cfg(target_arch = "wasm32")]
mod writer;
