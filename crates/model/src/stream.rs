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

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `body` cut at each of `cuts` (byte offsets) and then finishes.
    fn decode_in_pieces(body: &[u8], cuts: &[usize]) -> Vec<StreamEvent> {
        let mut decoder = StreamDecoder::new();
        let mut events = Vec::new();
        let mut start = 0;
        for &cut in cuts {
            events.extend(decoder.push(&body[start..cut]));
            start = cut;
        }
        events.extend(decoder.push(&body[start..]));
        events.extend(decoder.finish());
        events
    }

    /// One event carrying a piece of tool call `index`'s arguments.
    fn fragment(index: u32, arguments: &str) -> String {
        let chunk = serde_json::json!({"choices": [{"index": 0, "delta": {"tool_calls": [
            {"index": index, "function": {"arguments": arguments}}
        ]}}]});
        format!("data: {chunk}\n\n")
    }

    fn call(id: &str, name: &str, arguments: &str) -> ToolCall {
        ToolCall {
            id: id.into(),
            kind: FunctionKind::Function,
            function: FunctionCall {
                name: name.into(),
                arguments: arguments.into(),
            },
        }
    }

    const TEXT_STREAM: &str = concat!(
        ": keep-alive\n\n",
        "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",",
        "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},",
        "\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}\n\n",
        "data: {\"id\":\"chatcmpl-1\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"We open \"},",
        "\"finish_reason\":null}],\"usage\":null}\n\n",
        "data: {\"id\":\"chatcmpl-1\",\"choices\":[{\"index\":0,",
        "\"delta\":{\"content\":\"at 9 \u{2014} caf\u{e9} too.\"},",
        "\"finish_reason\":null}],\"usage\":null}\n\n",
        "data: {\"id\":\"chatcmpl-1\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],",
        "\"usage\":null}\n\n",
        "data: {\"id\":\"chatcmpl-1\",\"choices\":[],",
        "\"usage\":{\"prompt_tokens\":20,\"completion_tokens\":7,\"total_tokens\":27}}\n\n",
        "data: [DONE]\n\n",
    );

    fn text_stream_events() -> Vec<StreamEvent> {
        vec![
            StreamEvent::Text("We open ".into()),
            StreamEvent::Text("at 9 \u{2014} caf\u{e9} too.".into()),
            StreamEvent::Usage(Usage {
                prompt_tokens: 20,
                completion_tokens: 7,
                total_tokens: 27,
            }),
            StreamEvent::Done,
        ]
    }

    #[test]
    fn a_text_stream_yields_its_text_usage_and_end() {
        assert_eq!(
            decode_in_pieces(TEXT_STREAM.as_bytes(), &[]),
            text_stream_events()
        );
    }

    #[test]
    fn a_text_stream_reads_the_same_fed_one_byte_at_a_time() {
        let body = TEXT_STREAM.as_bytes();
        let cuts: Vec<usize> = (1..body.len()).collect();
        assert_eq!(decode_in_pieces(body, &cuts), text_stream_events());
    }

    #[test]
    fn crlf_line_endings_read_like_lf() {
        let body = TEXT_STREAM.replace('\n', "\r\n");
        assert_eq!(decode_in_pieces(body.as_bytes(), &[]), text_stream_events());
    }

    #[test]
    fn a_crlf_cut_between_cr_and_lf_ends_one_line_only() {
        let body = TEXT_STREAM.replace('\n', "\r\n");
        let cuts: Vec<usize> = body.match_indices('\n').map(|(at, _)| at).collect();
        assert_eq!(
            decode_in_pieces(body.as_bytes(), &cuts),
            text_stream_events()
        );
    }

    #[test]
    fn a_tool_calls_arguments_in_five_fragments_are_assembled_across_cut_lines_and_characters() {
        let first = concat!(
            "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"tool_calls\":[{\"index\":0,",
            "\"id\":\"call_7\",\"type\":\"function\",",
            "\"function\":{\"name\":\"set_hours\",\"arguments\":\"\"}}]}}]}\n\n",
        );
        let fragments = [
            "{\"day",
            "\":\"mon\",",
            "\"note\":\"caf\u{e9}",
            " \u{1f600}\"",
            "}",
        ];
        let body = [
            first.to_owned(),
            fragments
                .iter()
                .map(|arguments| fragment(0, arguments))
                .collect(),
            "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\n\n"
                .to_owned(),
            "data: [DONE]\n\n".to_owned(),
        ]
        .concat();
        let body = body.as_bytes();
        let e_acute = body
            .windows(2)
            .position(|pair| pair == "\u{e9}".as_bytes())
            .unwrap();
        let emoji = body
            .windows(4)
            .position(|four| four == "\u{1f600}".as_bytes())
            .unwrap();
        let mid_line = body.iter().position(|&byte| byte == b'\n').unwrap() - 10;
        let cuts = [mid_line, e_acute + 1, emoji + 1, emoji + 3, body.len() - 3];
        assert_eq!(
            decode_in_pieces(body, &cuts),
            vec![
                StreamEvent::ToolCallsReady(vec![call(
                    "call_7",
                    "set_hours",
                    "{\"day\":\"mon\",\"note\":\"caf\u{e9} \u{1f600}\"}"
                )]),
                StreamEvent::Done,
            ]
        );
    }

    #[test]
    fn two_parallel_tool_calls_come_in_index_order() {
        let first = concat!(
            "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[",
            "{\"index\":1,\"id\":\"call_b\",\"type\":\"function\",",
            "\"function\":{\"name\":\"get_photos\",\"arguments\":\"{\"}},",
            "{\"index\":0,\"id\":\"call_a\",\"type\":\"function\",",
            "\"function\":{\"name\":\"get_hours\",\"arguments\":\"{\"}}",
            "]}}]}\n\n",
        );
        let body = [
            first.to_owned(),
            fragment(0, "}"),
            fragment(1, "}"),
            "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\n\n"
                .to_owned(),
            "data: [DONE]\n\n".to_owned(),
        ]
        .concat();
        assert_eq!(
            decode_in_pieces(body.as_bytes(), &[]),
            vec![
                StreamEvent::ToolCallsReady(vec![
                    call("call_a", "get_hours", "{}"),
                    call("call_b", "get_photos", "{}"),
                ]),
                StreamEvent::Done,
            ]
        );
    }

    #[test]
    fn tool_calls_without_a_tool_calls_finish_reason_are_handed_over_at_the_end_named_by_index() {
        let body = concat!(
            "data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"function\":{\"name\":\"get_hours\",",
            "\"arguments\":\"{}\"}}]},\"finish_reason\":\"stop\"}]}\n\n",
        );
        assert_eq!(
            decode_in_pieces(body.as_bytes(), &[]),
            vec![
                StreamEvent::ToolCallsReady(vec![call("call_0", "get_hours", "{}")]),
                StreamEvent::Done,
            ]
        );
    }

    #[test]
    fn bytes_after_done_are_ignored() {
        let mut decoder = StreamDecoder::new();
        assert_eq!(
            decoder.push(b"data: [DONE]\n\ndata: {\"choices\":[]}\n\n"),
            vec![StreamEvent::Done]
        );
        assert_eq!(
            decoder.push(b"data: {\"choices\":[{\"delta\":{\"content\":\"x\"}}]}\n\n"),
            vec![]
        );
        assert_eq!(decoder.finish(), vec![]);
    }

    #[test]
    fn a_malformed_chunk_is_reported_and_the_stream_goes_on() {
        let body = concat!(
            "data: {\"choices\":[{\"delta\":{\"content\":\"Hel\"}}]}\n\n",
            "data: {\"choices\":[{\"delta\":{\"content\":\n\n",
            "data: {\"choices\":[{\"delta\":{\"content\":\"lo\"}}]}\n\n",
            "data: [DONE]\n\n",
        );
        let events = decode_in_pieces(body.as_bytes(), &[]);
        assert_eq!(events.len(), 4);
        assert_eq!(events[0], StreamEvent::Text("Hel".into()));
        assert!(matches!(events[1], StreamEvent::Malformed(_)));
        assert_eq!(
            events[2..],
            [StreamEvent::Text("lo".into()), StreamEvent::Done]
        );
    }

    #[test]
    fn a_data_field_over_several_lines_is_one_chunk() {
        let body = "event: message\nid: 4\ndata: {\"choices\":\ndata: [{\"delta\":{\"content\":\"Hi\"}}]}\n\n";
        assert_eq!(
            decode_in_pieces(body.as_bytes(), &[]),
            vec![StreamEvent::Text("Hi".into()), StreamEvent::Done]
        );
    }

    #[test]
    fn a_last_event_without_its_blank_line_is_still_read() {
        let body = "data: {\"choices\":[{\"delta\":{\"content\":\"Hi\"}}]}";
        assert_eq!(
            decode_in_pieces(body.as_bytes(), &[]),
            vec![StreamEvent::Text("Hi".into()), StreamEvent::Done]
        );
    }

    #[test]
    fn a_line_over_the_cap_is_reported_once_and_dropped() {
        let mut decoder = StreamDecoder::new();
        let mut events = decoder.push(b"data: \"");
        let filler = vec![b'a'; 64 * 1024];
        for _ in 0..20 {
            events.extend(decoder.push(&filler));
        }
        events.extend(
            decoder.push(b"\"\n\ndata: {\"choices\":[{\"delta\":{\"content\":\"ok\"}}]}\n\n"),
        );
        assert_eq!(events.len(), 2);
        assert!(matches!(events[0], StreamEvent::Malformed(_)));
        assert_eq!(events[1], StreamEvent::Text("ok".into()));
        assert!(decoder.line.capacity() <= 2 * MAX_BUFFERED);
    }
}
