//! The decoder of a streamed answer: server-sent events in, as the bytes arrive (cut anywhere,
//! even inside a UTF-8 sequence), and out the text to show, the tool calls once their
//! fragments are all in, the token counts, and the end. Bad input is reported, never a panic,
//! and no event may buffer more than [`MAX_BUFFERED`] bytes.

use std::collections::BTreeMap;

use crate::wire::{ChatChunk, FunctionCall, FunctionKind, ToolCall, Usage};

/// The most bytes one line, one event's data or one turn's tool calls may hold: a model's
/// answer is far smaller, so more is a broken or hostile server.
pub const MAX_BUFFERED: usize = 1 << 20;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamEvent {
    /// The next piece of the answer's text.
    Text(String),
    /// Every call the model asked for in this turn, in index order, arguments whole.
    ToolCallsReady(Vec<ToolCall>),
    Usage(Usage),
    /// The stream is over (`[DONE]`, or [`StreamDecoder::finish`]); later bytes are ignored.
    Done,
    /// An event that could not be read; the decoder goes on with the next one.
    Malformed(String),
}

#[derive(Debug, Default)]
struct PartialCall {
    id: String,
    name: String,
    arguments: String,
}

/// Feed it the response body's bytes with [`push`](Self::push) as they come, and call
/// [`finish`](Self::finish) when the body ends.
#[derive(Debug, Default)]
pub struct StreamDecoder {
    /// The bytes of the line not yet ended.
    line: Vec<u8>,
    /// The current event's `data:` lines, joined by `\n` as SSE says.
    data: String,
    has_data: bool,
    /// The last byte was `\r`: a `\n` right after it ends no second line.
    after_cr: bool,
    /// The current line outgrew the cap: drop its bytes up to its end.
    discard_line: bool,
    /// The current event is already reported malformed: drop it up to the blank line.
    discard_event: bool,
    calls: BTreeMap<u32, PartialCall>,
    calls_bytes: usize,
    done: bool,
}

impl StreamDecoder {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, bytes: &[u8]) -> Vec<StreamEvent> {
        let mut out = Vec::new();
        for &byte in bytes {
            if self.done {
                break;
            }
            if std::mem::replace(&mut self.after_cr, false) && byte == b'\n' {
                continue;
            }
            match byte {
                b'\n' => self.end_line(&mut out),
                b'\r' => {
                    self.after_cr = true;
                    self.end_line(&mut out);
                }
                _ if self.discard_line => {}
                _ if self.line.len() >= MAX_BUFFERED => {
                    out.push(StreamEvent::Malformed("a line longer than the cap".into()));
                    self.line.clear();
                    self.drop_event();
                    self.discard_line = true;
                }
                _ => self.line.push(byte),
            }
        }
        out
    }

    /// The body ended: reads an event left without its closing blank line, hands over the
    /// tool calls still assembling, and ends the stream if `[DONE]` did not.
    pub fn finish(&mut self) -> Vec<StreamEvent> {
        let mut out = Vec::new();
        if self.done {
            return out;
        }
        if !self.line.is_empty() {
            self.end_line(&mut out);
        }
        self.dispatch(&mut out);
        if !self.done {
            self.end(&mut out);
        }
        out
    }

    fn drop_event(&mut self) {
        self.data.clear();
        self.has_data = false;
        self.discard_event = true;
    }

    fn end_line(&mut self, out: &mut Vec<StreamEvent>) {
        let line = std::mem::take(&mut self.line);
        if std::mem::replace(&mut self.discard_line, false) {
            return;
        }
        if line.is_empty() {
            self.dispatch(out);
            return;
        }
        if self.discard_event || line.first() == Some(&b':') {
            return;
        }
        let Ok(text) = String::from_utf8(line) else {
            out.push(StreamEvent::Malformed("a line that is not UTF-8".into()));
            self.drop_event();
            return;
        };
        let (field, value) = match text.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (text.as_str(), ""),
        };
        // `event:`, `id:` and `retry:` mean nothing to a chat-completions stream.
        if field != "data" {
            return;
        }
        if self.data.len() + value.len() + 1 > MAX_BUFFERED {
            out.push(StreamEvent::Malformed(
                "an event longer than the cap".into(),
            ));
            self.drop_event();
            return;
        }
        if self.has_data {
            self.data.push('\n');
        }
        self.data.push_str(value);
        self.has_data = true;
    }

    fn dispatch(&mut self, out: &mut Vec<StreamEvent>) {
        let discarded = std::mem::replace(&mut self.discard_event, false);
        let has_data = std::mem::replace(&mut self.has_data, false);
        let data = std::mem::take(&mut self.data);
        if discarded || !has_data {
            return;
        }
        let payload = data.trim();
        if payload == "[DONE]" {
            self.end(out);
            return;
        }
        match serde_json::from_str::<ChatChunk>(payload) {
            Ok(chunk) => self.chunk(chunk, out),
            Err(err) => out.push(StreamEvent::Malformed(format!(
                "a chunk that is not JSON: {err}"
            ))),
        }
    }

    fn chunk(&mut self, chunk: ChatChunk, out: &mut Vec<StreamEvent>) {
        // The workers ask for one choice; a server sending more is followed on the first only,
        // so that two answers' fragments never mix.
        for choice in chunk.choices.into_iter().filter(|choice| choice.index == 0) {
            if let Some(text) = choice.delta.content.filter(|text| !text.is_empty()) {
                out.push(StreamEvent::Text(text));
            }
            for fragment in choice.delta.tool_calls.unwrap_or_default() {
                let function = fragment.function.unwrap_or_default();
                let added = fragment.id.as_ref().map_or(0, String::len)
                    + function.name.as_ref().map_or(0, String::len)
                    + function.arguments.as_ref().map_or(0, String::len);
                if self.calls_bytes + added > MAX_BUFFERED {
                    out.push(StreamEvent::Malformed(
                        "tool calls longer than the cap".into(),
                    ));
                    self.calls.clear();
                    self.calls_bytes = 0;
                    continue;
                }
                self.calls_bytes += added;
                let call = self.calls.entry(fragment.index).or_default();
                if let Some(id) = fragment.id.filter(|id| !id.is_empty()) {
                    call.id = id;
                }
                if let Some(name) = function.name.filter(|name| !name.is_empty()) {
                    call.name = name;
                }
                if let Some(arguments) = function.arguments {
                    call.arguments.push_str(&arguments);
                }
            }
            if choice.finish_reason.as_deref() == Some("tool_calls") {
                self.flush_calls(out);
            }
        }
        if let Some(usage) = chunk.usage {
            out.push(StreamEvent::Usage(usage));
        }
    }

    fn flush_calls(&mut self, out: &mut Vec<StreamEvent>) {
        self.calls_bytes = 0;
        let calls: Vec<ToolCall> = std::mem::take(&mut self.calls)
            .into_iter()
            .map(|(index, call)| ToolCall {
                id: if call.id.is_empty() {
                    format!("call_{index}")
                } else {
                    call.id
                },
                kind: FunctionKind::Function,
                function: FunctionCall {
                    name: call.name,
                    arguments: call.arguments,
                },
            })
            .collect();
        if !calls.is_empty() {
            out.push(StreamEvent::ToolCallsReady(calls));
        }
    }

    fn end(&mut self, out: &mut Vec<StreamEvent>) {
        self.flush_calls(out);
        out.push(StreamEvent::Done);
        self.done = true;
    }
}
