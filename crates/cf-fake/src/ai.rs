//! The fake AI provider of the business assistant: Workers AI's REST API as the product calls
//! it — the OpenAI-compatible chat completions (whole or streamed as server-sent events, text
//! or tool calls), Whisper speech-to-text and MeloTTS text-to-speech — under one account and
//! token, in Cloudflare's wire formats.
//!
//! Tests in another process script it over HTTP (`/__fake/…`): the answers of the next chat
//! calls (text, tool calls, an error status, each optionally late), the next transcript, and
//! what it was asked. Unscripted, it answers canned replies that recognise a few requests
//! (hours, the description, leads), so a newcomer can try the assistant under `cargo xtask dev`.

use crate::cloudflare::{error, no_route, ok};
use crate::http::{Handler, Reply, Request, Server};
use jwt_simple::reexports::ct_codecs::{Base64, Decoder, Encoder};
use kbc_model::wire::{
    ChatChunk, ChatRequest, ChatResponse, Choice, ChunkChoice, Delta, FunctionCall, FunctionDelta,
    FunctionKind, Message, Role, ToolCall, ToolCallDelta, Usage,
};
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::io;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The account the fake serves; every other account's path is unroutable.
pub const ACCOUNT_ID: &str = "fake-account";
/// The API token it accepts (`Authorization: Bearer …`).
pub const API_TOKEN: &str = "fake-ai-token";
/// What speech-to-text hears when no test said otherwise: a request the canned chat answers
/// with a tool call, so a spoken turn locally goes all the way to a confirmation card.
pub const DEFAULT_TRANSCRIPT: &str = "Please set our Saturday hours to 9:00-13:00.";

const CHAT_PATH: &str = "v1/chat/completions";
const WHISPER_PATH: &str = "run/@cf/openai/whisper-large-v3-turbo";
const MELOTTS_PATH: &str = "run/@cf/myshell-ai/melotts";
const CONTROL_PREFIX: &str = "/__fake/";

/// The canned answer to a tool result that proposes a change.
const PENDING_REPLY: &str =
    "I've prepared that change. Check the card below and approve it when it looks right.";
/// The canned answer to anything it does not recognise.
const HELP_REPLY: &str = "Hi! I'm your business assistant (a local fake, with canned answers). \
    I can help with your listing and its description, your hours, photos, recent leads, \
    analytics, your page, and social posts. Try \"Set our Saturday hours to 9-1\".";
/// The canned text of a request without tools (the cron workers' writing): a blog post when
/// the instructions ask for one, a listing's description otherwise.
const BLOG_REPLY: &str = "A warm welcome to the businesses that joined the directory this week \
    (written by the local fake model).";
const DESCRIPTION_REPLY: &str = "A friendly local business serving its neighbours across the \
    Kiamichi country, with honest work and a warm welcome (written by the local fake model).";
/// The most of a tool's result the canned answer repeats.
const TOOL_ECHO_CHARS: usize = 200;
/// Hours proposed when the request names none.
const DEFAULT_HOURS: &str = "9:00-13:00";
const DEFAULT_DAY: &str = "saturday";
const WEEKDAYS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];
/// Words per streamed piece of text, so a reply arrives in several chunks as a model's does.
const WORDS_PER_PIECE: usize = 3;
/// Pieces a tool call's arguments are streamed in (at most).
const ARGUMENT_PIECES: usize = 3;
/// Roughly what a token is in characters, for usage counts.
const CHARS_PER_TOKEN: usize = 4;
/// The audio length assumed for a non-WAV recording (compressed speech, about 32 kbit/s).
const ENCODED_BYTES_PER_SECOND: f64 = 4000.0;

/// One MPEG-1 Layer III frame header: 128 kbit/s, 44.1 kHz, joint stereo, no CRC, no padding.
const MP3_FRAME_HEADER: [u8; 4] = [0xFF, 0xFB, 0x90, 0x64];
/// 144 × 128 000 / 44 100, rounded down as an unpadded frame is. An all-zero body is valid
/// silence: the side information then says no bits of audio data follow.
const MP3_FRAME_BYTES: usize = 417;
/// 1152 samples a frame at 44.1 kHz.
const MP3_FRAMES_PER_SECOND: f64 = 44_100.0 / 1152.0;
/// A speaking pace, so a longer prompt is a longer clip.
const SPOKEN_CHARS_PER_SECOND: usize = 15;
const MAX_SPEECH_SECONDS: usize = 10;

/// A call the model makes: a tool's name and its arguments as JSON text.
#[derive(Debug, Clone)]
struct Call {
    name: String,
    arguments: String,
}

/// What one chat call answers.
#[derive(Debug, Clone)]
enum Answer {
    Text(String),
    Calls(Vec<Call>),
    /// An error with this status (a model that is down, overloaded, or refusing).
    Fail(u16),
}

/// One scripted chat answer (`POST /__fake/script`).
#[derive(Debug, Clone)]
struct Step {
    answer: Answer,
    delay: Option<Duration>,
}

impl Step {
    /// `{"reply": "text"}`, `{"tool_calls": [{"name", "arguments"}]}` or `{"status": 503}`,
    /// each with an optional `"delay_ms"`. Arguments given as a string are sent as they are
    /// (a test of malformed arguments), anything else as its JSON text.
    fn parse(step: &Value) -> Result<Self, String> {
        let delay = match step.get("delay_ms") {
            None => None,
            Some(ms) => Some(Duration::from_millis(
                ms.as_u64()
                    .ok_or("delay_ms must be a whole number of milliseconds")?,
            )),
        };
        let answer = if let Some(reply) = step.get("reply") {
            Answer::Text(reply.as_str().ok_or("reply must be a string")?.to_owned())
        } else if let Some(calls) = step.get("tool_calls") {
            let calls = calls.as_array().ok_or("tool_calls must be an array")?;
            if calls.is_empty() {
                return Err("tool_calls must name at least one call".into());
            }
            Answer::Calls(
                calls
                    .iter()
                    .map(|call| {
                        let name = call
                            .get("name")
                            .and_then(Value::as_str)
                            .ok_or("each tool call needs a name")?;
                        let arguments = match call.get("arguments") {
                            None => "{}".to_owned(),
                            Some(Value::String(raw)) => raw.clone(),
                            Some(arguments) => arguments.to_string(),
                        };
                        Ok(Call {
                            name: name.to_owned(),
                            arguments,
                        })
                    })
                    .collect::<Result<_, String>>()?,
            )
        } else if let Some(status) = step.get("status") {
            Answer::Fail(
                status
                    .as_u64()
                    .and_then(|s| u16::try_from(s).ok())
                    .filter(|s| (400..=599).contains(s))
                    .ok_or("status must be an error status (400-599)")?,
            )
        } else {
            return Err("a step needs reply, tool_calls or status".into());
        };
        Ok(Self { answer, delay })
    }
}

/// The fake's state; reach it through [`Server::with`] or, from another process, `/__fake/…`.
#[derive(Debug, Default)]
pub struct Ai {
    script: VecDeque<Step>,
    transcript: Option<String>,
    /// Every chat request body, in order.
    chat: Vec<Value>,
    /// The duration of every recording transcribed, in order.
    speech_seconds: Vec<f64>,
    /// Every text spoken, in order.
    tts: Vec<String>,
    /// Numbers completions and tool calls, so ids never repeat within a run.
    next_id: u64,
}

impl Handler for Ai {
    fn handle(&mut self, request: &Request, _base_url: &str) -> Reply {
        if let Some(control) = request.path.strip_prefix(CONTROL_PREFIX) {
            return self.control(request, control);
        }
        if !authorized(request) {
            return error(401, 10000, "Authentication error");
        }
        let prefix = format!("/client/v4/accounts/{ACCOUNT_ID}/ai/");
        let Some(endpoint) = request.path.strip_prefix(&prefix) else {
            return no_route();
        };
        match (request.method.as_str(), endpoint) {
            ("POST", CHAT_PATH) => self.chat(request),
            ("POST", WHISPER_PATH) => self.transcribe(request),
            ("POST", MELOTTS_PATH) => self.speak(request),
            ("POST", model) if model.starts_with("run/") => error(
                400,
                5007,
                &format!("No such model {}", model.trim_start_matches("run/")),
            ),
            _ => no_route(),
        }
    }
}

impl Ai {
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts on a free loopback port.
    pub fn start() -> io::Result<Server<Self>> {
        Server::start(Self::new())
    }

    /// Starts on `addr`, e.g. `"127.0.0.1:8792"`.
    pub fn start_on(addr: &str) -> io::Result<Server<Self>> {
        Server::start_on(Self::new(), addr)
    }

    fn control(&mut self, request: &Request, action: &str) -> Reply {
        match (request.method.as_str(), action) {
            ("POST", "script") => {
                let body = request.json();
                let Some(steps) = body.as_array() else {
                    return error(400, 1001, "the script must be a JSON array of steps");
                };
                // All or nothing: a script with a bad step queues none of its steps.
                match steps.iter().map(Step::parse).collect::<Result<Vec<_>, _>>() {
                    Ok(steps) => {
                        self.script.extend(steps);
                        ok(json!({"queued": self.script.len()}))
                    }
                    Err(problem) => error(400, 1001, &problem),
                }
            }
            ("POST", "transcript") => match request.json().get("text").and_then(Value::as_str) {
                Some(text) => {
                    self.transcript = Some(text.to_owned());
                    ok(json!({"text": text}))
                }
                None => error(400, 1001, "the body must be {\"text\": \"...\"}"),
            },
            ("POST", "reset") => {
                *self = Self {
                    next_id: self.next_id,
                    ..Self::default()
                };
                ok(Value::Null)
            }
            ("GET", "requests") => Reply::json(
                200,
                &json!({
                    "chat": self.chat,
                    "speech": self.speech_seconds.len(),
                    "speech_seconds": self.speech_seconds,
                    "tts": self.tts,
                }),
            ),
            _ => error(404, 7000, "No route for that URI"),
        }
    }

    fn chat(&mut self, request: &Request) -> Reply {
        let body = request.json();
        let chat: ChatRequest = match serde_json::from_value(body.clone()) {
            Ok(chat) => chat,
            Err(err) => {
                return error(
                    400,
                    5006,
                    &format!("Invalid chat completions request: {err}"),
                );
            }
        };
        self.chat.push(body);
        let (answer, delay) = match self.script.pop_front() {
            Some(step) => (step.answer, step.delay),
            None if chat.tools.is_empty() => (written(&chat.messages), None),
            None => (canned(&chat.messages), None),
        };
        let reply = match answer {
            Answer::Fail(status) => error(
                status,
                3040,
                &format!("The model failed (status {status}, scripted by the test)"),
            ),
            Answer::Text(text) => self.complete(&chat, Ok(text)),
            Answer::Calls(calls) => {
                let calls = calls
                    .into_iter()
                    .map(|call| ToolCall {
                        id: format!("call_{}", self.next_id()),
                        kind: FunctionKind::Function,
                        function: FunctionCall {
                            name: call.name,
                            arguments: call.arguments,
                        },
                    })
                    .collect();
                self.complete(&chat, Err(calls))
            }
        };
        match delay {
            Some(delay) => reply.after(delay),
            None => reply,
        }
    }

    /// The answer to `chat`: its text (`Ok`) or its tool calls (`Err`), whole or streamed as
    /// the request asked.
    fn complete(&mut self, chat: &ChatRequest, output: Result<String, Vec<ToolCall>>) -> Reply {
        let id = format!("chatcmpl-fake-{}", self.next_id());
        let written: usize = match &output {
            Ok(text) => text.chars().count(),
            Err(calls) => calls
                .iter()
                .map(|c| c.function.name.len() + c.function.arguments.chars().count())
                .sum(),
        };
        let read: usize = chat
            .messages
            .iter()
            .filter_map(|m| m.content.as_deref())
            .map(|c| c.chars().count())
            .sum();
        let usage = Usage {
            prompt_tokens: tokens(read),
            completion_tokens: tokens(written),
            total_tokens: tokens(read) + tokens(written),
        };
        let extras = Extras {
            created: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
            model: &chat.model,
        };
        if chat.stream {
            let include_usage = chat.stream_options.is_some_and(|o| o.include_usage);
            return stream(&id, &extras, output, include_usage.then_some(usage));
        }
        let (message, finish_reason) = match output {
            Ok(text) => (Message::assistant(text), "stop"),
            Err(calls) => (Message::assistant_calls(calls), "tool_calls"),
        };
        let response = ChatResponse {
            id,
            choices: vec![Choice {
                index: 0,
                message,
                finish_reason: Some(finish_reason.into()),
            }],
            usage: Some(usage),
        };
        Reply::json(200, &extras.add(&response, "chat.completion"))
    }

    fn transcribe(&mut self, request: &Request) -> Reply {
        let audio = request
            .json()
            .get("audio")
            .and_then(Value::as_str)
            .and_then(|audio| Base64::decode_to_vec(audio, None).ok())
            .filter(|audio| !audio.is_empty());
        let Some(audio) = audio else {
            return error(
                400,
                5006,
                "Input validation failed: audio must be a non-empty base64 string",
            );
        };
        let seconds = wav_seconds(&audio).unwrap_or(audio.len() as f64 / ENCODED_BYTES_PER_SECOND);
        self.speech_seconds.push(seconds);
        let text = self.transcript.as_deref().unwrap_or(DEFAULT_TRANSCRIPT);
        ok(json!({
            "text": text,
            "word_count": text.split_whitespace().count(),
            "segments": [],
            "transcription_info": {
                "language": "en",
                "language_probability": 1.0,
                "duration": seconds,
                "duration_after_vad": seconds,
            },
        }))
    }

    fn speak(&mut self, request: &Request) -> Reply {
        let body = request.json();
        let Some(prompt) = body
            .get("prompt")
            .and_then(Value::as_str)
            .filter(|p| !p.trim().is_empty())
        else {
            return error(
                400,
                5006,
                "Input validation failed: prompt must be a non-empty string",
            );
        };
        self.tts.push(prompt.to_owned());
        let seconds = prompt
            .chars()
            .count()
            .div_ceil(SPOKEN_CHARS_PER_SECOND)
            .clamp(1, MAX_SPEECH_SECONDS);
        match Base64::encode_to_string(silent_mp3(seconds)) {
            Ok(audio) => ok(json!({"audio": audio})),
            Err(err) => error(500, 3000, &format!("encoding the audio: {err}")),
        }
    }

    fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }
}

fn authorized(request: &Request) -> bool {
    request
        .header("authorization")
        .and_then(|value| value.trim().split_once(' '))
        .is_some_and(|(scheme, token)| {
            scheme.eq_ignore_ascii_case("bearer") && token.trim() == API_TOKEN
        })
}

fn tokens(chars: usize) -> u32 {
    u32::try_from(chars.div_ceil(CHARS_PER_TOKEN)).unwrap_or(u32::MAX)
}

/// The fields of OpenAI's answers the wire types leave out (no client needs them), added so
/// the fake's answers read like the real ones.
struct Extras<'a> {
    created: u64,
    model: &'a str,
}

impl Extras<'_> {
    fn add(&self, answer: &impl serde::Serialize, object: &str) -> Value {
        let mut value = serde_json::to_value(answer).unwrap_or(Value::Null);
        if let Some(fields) = value.as_object_mut() {
            fields.insert("object".into(), object.into());
            fields.insert("created".into(), self.created.into());
            fields.insert("model".into(), self.model.into());
        }
        value
    }
}

/// The answer as OpenAI streams it: the role, the text in pieces of a few words or each tool
/// call (its id and name, then its arguments in pieces), the finish reason, the usage when
/// asked for, and `[DONE]`.
fn stream(
    id: &str,
    extras: &Extras,
    output: Result<String, Vec<ToolCall>>,
    usage: Option<Usage>,
) -> Reply {
    let chunk = |delta: Delta, finish_reason: Option<&str>| ChatChunk {
        id: id.to_owned(),
        choices: vec![ChunkChoice {
            index: 0,
            delta,
            finish_reason: finish_reason.map(str::to_owned),
        }],
        usage: None,
    };
    let mut chunks = vec![chunk(
        Delta {
            role: Some(Role::Assistant),
            ..Delta::default()
        },
        None,
    )];
    let finish_reason = match output {
        Ok(text) => {
            let words: Vec<&str> = text.split_inclusive(' ').collect();
            for piece in words.chunks(WORDS_PER_PIECE) {
                let content = Some(piece.concat());
                chunks.push(chunk(
                    Delta {
                        content,
                        ..Delta::default()
                    },
                    None,
                ));
            }
            "stop"
        }
        Err(calls) => {
            for (index, call) in (0..).zip(calls) {
                let first = ToolCallDelta {
                    index,
                    id: Some(call.id),
                    kind: Some(FunctionKind::Function),
                    function: Some(FunctionDelta {
                        name: Some(call.function.name),
                        arguments: Some(String::new()),
                    }),
                };
                let pieces = pieces(&call.function.arguments, ARGUMENT_PIECES);
                let rest = pieces.into_iter().map(|arguments| ToolCallDelta {
                    index,
                    function: Some(FunctionDelta {
                        name: None,
                        arguments: Some(arguments),
                    }),
                    ..ToolCallDelta::default()
                });
                for delta in std::iter::once(first).chain(rest) {
                    chunks.push(chunk(
                        Delta {
                            tool_calls: Some(vec![delta]),
                            ..Delta::default()
                        },
                        None,
                    ));
                }
            }
            "tool_calls"
        }
    };
    chunks.push(chunk(Delta::default(), Some(finish_reason)));
    if let Some(usage) = usage {
        chunks.push(ChatChunk {
            id: id.to_owned(),
            choices: Vec::new(),
            usage: Some(usage),
        });
    }
    let mut body = String::new();
    for chunk in &chunks {
        let mut event = extras.add(chunk, "chat.completion.chunk");
        // OpenAI sends `"usage": null` on every other chunk when usage was asked for.
        if usage.is_some()
            && let Some(fields) = event.as_object_mut()
        {
            fields.entry("usage").or_insert(Value::Null);
        }
        body.push_str(&format!("data: {event}\n\n"));
    }
    body.push_str("data: [DONE]\n\n");
    Reply::bytes(200, "text/event-stream", body.into_bytes())
        .with_header("Cache-Control", "no-cache")
}

/// `text` cut into at most `count` pieces of about equal length, at character boundaries.
fn pieces(text: &str, count: usize) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let size = chars.len().div_ceil(count).max(1);
    chars
        .chunks(size)
        .map(|piece| piece.iter().collect())
        .collect()
}

/// The unscripted answer: after a tool ran, a reply about its result; otherwise a tool call
/// for a request it recognises in the owner's last words, or what the assistant can do.
/// The canned answer to a request without tools: writing, not a conversation.
fn written(messages: &[Message]) -> Answer {
    let blog = messages
        .iter()
        .filter(|m| m.role == Role::System)
        .filter_map(|m| m.content.as_deref())
        .any(|text| text.to_lowercase().contains("blog"));
    Answer::Text(if blog { BLOG_REPLY } else { DESCRIPTION_REPLY }.into())
}

fn canned(messages: &[Message]) -> Answer {
    if let Some(result) = messages.last().filter(|m| m.role == Role::Tool) {
        let content = result.content.as_deref().unwrap_or_default();
        if content.contains("\"pending_action\"") {
            return Answer::Text(PENDING_REPLY.into());
        }
        let excerpt: String = content.chars().take(TOOL_ECHO_CHARS).collect();
        return Answer::Text(format!("Here is what I found: {excerpt}"));
    }
    let said = messages
        .iter()
        .rev()
        .find(|m| m.role == Role::User)
        .and_then(|m| m.content.as_deref())
        .unwrap_or_default()
        .to_lowercase();
    let call = |name: &str, arguments: Value| {
        Answer::Calls(vec![Call {
            name: name.into(),
            arguments: arguments.to_string(),
        }])
    };
    if ["hour", "open", "close"].iter().any(|w| said.contains(w)) {
        call("set_hours", hours_arguments(&said))
    } else if said.contains("description") {
        call("get_listing", json!({}))
    } else if said.contains("leads") {
        call("recent_leads", json!({}))
    } else {
        Answer::Text(HELP_REPLY.into())
    }
}

/// `set_hours`'s arguments for a request in lower case: the first weekday it names and the
/// hours it gives, or that day closed.
fn hours_arguments(said: &str) -> Value {
    let day = WEEKDAYS
        .iter()
        .filter_map(|day| said.find(day).map(|at| (at, *day)))
        .min()
        .map_or(DEFAULT_DAY, |(_, day)| day);
    if said.contains("closed") {
        json!({"day": day, "closed": true})
    } else {
        let hours = hours_range(said).unwrap_or_else(|| DEFAULT_HOURS.into());
        json!({"day": day, "hours": hours})
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Meridiem {
    Am,
    Pm,
}

/// A time as people type it: `9`, `9:30`, `9am`, `1 pm`, `13:00`.
#[derive(Debug, Clone, Copy)]
struct Clock {
    hour: u32,
    minute: u32,
    meridiem: Option<Meridiem>,
}

impl Clock {
    /// The time at the start of `text`, and the text after it.
    fn read(text: &str) -> Option<(Self, &str)> {
        let digits = text.len() - text.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if !(1..=2).contains(&digits) {
            return None;
        }
        let (hour, mut rest) = text.split_at(digits);
        let hour: u32 = hour.parse().ok()?;
        let mut minute = 0;
        if let Some((minutes, after)) = rest
            .strip_prefix(':')
            .and_then(|after| after.split_at_checked(2))
            .filter(|(minutes, _)| minutes.chars().all(|c| c.is_ascii_digit()))
        {
            minute = minutes.parse().ok()?;
            rest = after;
        }
        let spaced = rest.trim_start();
        let mut meridiem = None;
        if let Some((mark, after)) = [
            ("am", Meridiem::Am),
            ("a.m.", Meridiem::Am),
            ("pm", Meridiem::Pm),
            ("p.m.", Meridiem::Pm),
        ]
        .into_iter()
        .find_map(|(mark, meridiem)| spaced.strip_prefix(mark).map(|after| (meridiem, after)))
        {
            meridiem = Some(mark);
            rest = after;
        }
        let valid = minute < 60
            && match meridiem {
                Some(_) => (1..=12).contains(&hour),
                None => hour <= 24,
            };
        valid.then_some((
            Self {
                hour,
                minute,
                meridiem,
            },
            rest,
        ))
    }

    fn hour_of_day(self) -> u32 {
        match (self.meridiem, self.hour) {
            (Some(Meridiem::Pm), hour) if hour < 12 => hour + 12,
            (Some(Meridiem::Am), 12) => 0,
            (_, hour) => hour,
        }
    }
}

/// The first range of hours in `text` (`9:00-13:00`, `9-1`, `9 to 1`, `9am to 1pm`) in 24-hour
/// form, `9:00-13:00`. An unmarked closing hour before the opening one is in the afternoon.
fn hours_range(text: &str) -> Option<String> {
    let mut previous = ' ';
    for (at, c) in text.char_indices() {
        let starts_number = c.is_ascii_digit() && !previous.is_ascii_digit() && previous != ':';
        previous = c;
        if !starts_number {
            continue;
        }
        let Some((open, rest)) = text.get(at..).and_then(Clock::read) else {
            continue;
        };
        let rest = rest.trim_start();
        let Some(rest) = ["-", "–", "—", "to", "until", "till"]
            .iter()
            .find_map(|separator| rest.strip_prefix(separator))
        else {
            continue;
        };
        let Some((close, _)) = Clock::read(rest.trim_start()) else {
            continue;
        };
        let start = open.hour_of_day();
        let mut end = close.hour_of_day();
        if close.meridiem.is_none() && end < start && end <= 12 {
            end += 12;
        }
        return Some(format!(
            "{start}:{:02}-{end}:{:02}",
            open.minute, close.minute
        ));
    }
    None
}

/// A WAV recording's length from its header: the data chunk's size over the byte rate.
fn wav_seconds(audio: &[u8]) -> Option<f64> {
    let rest = audio.strip_prefix(b"RIFF")?.get(4..)?;
    let mut chunks = rest.strip_prefix(b"WAVE")?;
    let mut byte_rate = None;
    loop {
        let (header, body) = chunks.split_at_checked(8)?;
        let (id, size) = header.split_at(4);
        let size = usize::try_from(u32::from_le_bytes(size.try_into().ok()?)).ok()?;
        match id {
            b"fmt " => byte_rate = Some(u32::from_le_bytes(body.get(8..12)?.try_into().ok()?)),
            // A recording cut short (or streamed, with its size unknown) has less than it says.
            b"data" => {
                let rate = byte_rate.filter(|&rate| rate > 0)?;
                return Some(size.min(body.len()) as f64 / f64::from(rate));
            }
            _ => {}
        }
        // Chunks are padded to an even size.
        chunks = body.get(size + size % 2..)?;
    }
}

/// `seconds` of MP3 silence: whole frames, each a header and a zeroed body.
fn silent_mp3(seconds: usize) -> Vec<u8> {
    let frames = (seconds as f64 * MP3_FRAMES_PER_SECOND).ceil() as usize;
    let mut frame = vec![0; MP3_FRAME_BYTES];
    frame[..MP3_FRAME_HEADER.len()].copy_from_slice(&MP3_FRAME_HEADER);
    frame.repeat(frames)
}

#[cfg(test)]
mod tests {
    use super::*;
    use kbc_model::{StreamDecoder, StreamEvent};
    use reqwest::blocking::{Client, Response};

    fn url(server: &Server<Ai>, endpoint: &str) -> String {
        format!(
            "{}/client/v4/accounts/{ACCOUNT_ID}/ai/{endpoint}",
            server.base_url()
        )
    }

    fn post(server: &Server<Ai>, endpoint: &str, body: Value) -> Response {
        Client::new()
            .post(url(server, endpoint))
            .bearer_auth(API_TOKEN)
            .body(body.to_string())
            .send()
            .unwrap()
    }

    fn control(server: &Server<Ai>, action: &str, body: Value) -> Value {
        let reply = Client::new()
            .post(format!("{}/__fake/{action}", server.base_url()))
            .body(body.to_string())
            .send()
            .unwrap();
        assert_eq!(reply.status(), 200);
        json_of(reply)
    }

    fn json_of(reply: Response) -> Value {
        serde_json::from_str(&reply.text().unwrap()).unwrap()
    }

    fn requests(server: &Server<Ai>) -> Value {
        json_of(
            Client::new()
                .get(format!("{}/__fake/requests", server.base_url()))
                .send()
                .unwrap(),
        )
    }

    fn chat_body(said: &str, stream: bool) -> Value {
        json!({
            "model": "@cf/meta/llama-3.3-70b-instruct-fp8-fast",
            "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": said}],
            "tools": [{"type": "function", "function": {"name": "get_listing", "parameters": {}}}],
            "stream": stream,
            "stream_options": {"include_usage": true},
        })
    }

    #[test]
    fn a_request_without_tools_is_answered_with_writing() {
        let server = Ai::start().unwrap();
        let ask = |system: &str| {
            let body = json!({
                "model": "@cf/meta/llama-3.3-70b-instruct-fp8-fast",
                "messages": [{"role": "system", "content": system},
                             {"role": "user", "content": "{\"current_description\": \"\"}"}],
            });
            let answer: Value =
                serde_json::from_str(&post(&server, CHAT_PATH, body).text().unwrap()).unwrap();
            answer["choices"][0]["message"]["content"]
                .as_str()
                .unwrap()
                .to_owned()
        };

        assert_eq!(
            ask("Write a description of the business."),
            DESCRIPTION_REPLY
        );
        assert_eq!(ask("You write the weekly blog post."), BLOG_REPLY);
    }

    /// A streamed answer as the product reads it: the text, the tool calls, the usage, and
    /// whether it ended with `[DONE]`.
    fn decode(reply: Response) -> (String, Vec<ToolCall>, Option<Usage>, bool) {
        assert_eq!(reply.status(), 200);
        assert_eq!(reply.headers()["content-type"], "text/event-stream");
        let body = reply.bytes().unwrap();
        let mut decoder = StreamDecoder::new();
        let mut events = Vec::new();
        // Cut in small pieces, as a network delivers it.
        for piece in body.chunks(7) {
            events.extend(decoder.push(piece));
        }
        events.extend(decoder.finish());
        let (mut text, mut calls, mut usage, mut done) = (String::new(), Vec::new(), None, false);
        for event in events {
            match event {
                StreamEvent::Text(piece) => text.push_str(&piece),
                StreamEvent::ToolCallsReady(ready) => calls.extend(ready),
                StreamEvent::Usage(counted) => usage = Some(counted),
                StreamEvent::Done => done = true,
                StreamEvent::Malformed(problem) => panic!("malformed event: {problem}"),
            }
        }
        (text, calls, usage, done)
    }

    fn data_lines(reply: Response) -> Vec<String> {
        let body = reply.text().unwrap();
        body.split("\n\n")
            .filter(|event| !event.is_empty())
            .map(|event| event.strip_prefix("data: ").unwrap().to_owned())
            .collect()
    }

    fn arguments(call: &ToolCall) -> Value {
        serde_json::from_str(&call.function.arguments).unwrap()
    }

    #[test]
    fn a_streamed_reply_decodes_to_the_scripted_text_in_several_chunks_with_usage() {
        let server = Ai::start().unwrap();
        let reply = "Your Saturday hours are now 9:00 to 13:00, as you asked.";
        control(&server, "script", json!([{"reply": reply}]));

        let lines = data_lines(post(&server, CHAT_PATH, chat_body("Hours?", true)));
        let contents = lines
            .iter()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .filter(|chunk| chunk["choices"][0]["delta"]["content"].is_string())
            .count();
        assert!(contents >= 3, "{lines:?}");
        assert_eq!(
            serde_json::from_str::<Value>(&lines[0]).unwrap()["choices"][0]["delta"],
            json!({"role": "assistant"})
        );
        assert_eq!(lines.last().unwrap(), "[DONE]");

        control(&server, "script", json!([{"reply": reply}]));
        let (text, calls, usage, done) =
            decode(post(&server, CHAT_PATH, chat_body("Hours?", true)));
        assert_eq!(text, reply);
        assert!(calls.is_empty());
        let usage = usage.unwrap();
        assert_eq!(usage.completion_tokens, tokens(reply.len()));
        assert_eq!(
            usage.total_tokens,
            usage.prompt_tokens + usage.completion_tokens
        );
        assert!(done);
    }

    #[test]
    fn streamed_tool_calls_decode_with_their_ids_names_and_whole_arguments() {
        let server = Ai::start().unwrap();
        control(
            &server,
            "script",
            json!([{"tool_calls": [
                {"name": "set_hours", "arguments": {"day": "monday", "hours": "8:00-17:00"}},
                {"name": "get_listing", "arguments": {}},
            ]}]),
        );

        let reply = post(&server, CHAT_PATH, chat_body("Hours?", true));
        let lines = data_lines(reply);
        let finish: Vec<Value> = lines
            .iter()
            .filter_map(|line| serde_json::from_str::<Value>(line).ok())
            .filter_map(|chunk| chunk["choices"][0].get("finish_reason").cloned())
            .collect();
        assert_eq!(finish, [json!("tool_calls")]);
        let usage_chunk: Value = serde_json::from_str(&lines[lines.len() - 2]).unwrap();
        assert_eq!(usage_chunk["choices"], json!([]));

        control(
            &server,
            "script",
            json!([{"tool_calls": [
                {"name": "set_hours", "arguments": {"day": "monday", "hours": "8:00-17:00"}},
                {"name": "get_listing", "arguments": {}},
            ]}]),
        );
        let (text, calls, _, done) = decode(post(&server, CHAT_PATH, chat_body("Hours?", true)));
        assert_eq!(text, "");
        assert!(done);
        assert_eq!(calls.len(), 2);
        assert_eq!(calls[0].function.name, "set_hours");
        assert_eq!(
            arguments(&calls[0]),
            json!({"day": "monday", "hours": "8:00-17:00"})
        );
        assert_eq!(calls[1].function.name, "get_listing");
        assert_eq!(arguments(&calls[1]), json!({}));
        assert!(calls[0].id.starts_with("call_") && calls[0].id != calls[1].id);
    }

    #[test]
    fn a_whole_answer_is_a_chat_completion_with_usage() {
        let server = Ai::start().unwrap();
        control(&server, "script", json!([{"reply": "Done."}]));

        let reply = post(&server, CHAT_PATH, chat_body("Hi", false));

        assert_eq!(reply.status(), 200);
        let body = json_of(reply);
        assert_eq!(body["object"], "chat.completion");
        let response: ChatResponse = serde_json::from_value(body).unwrap();
        assert_eq!(
            response.choices[0].message.content.as_deref(),
            Some("Done.")
        );
        assert_eq!(response.choices[0].finish_reason.as_deref(), Some("stop"));
        assert!(response.usage.unwrap().total_tokens > 0);
    }

    #[test]
    fn scripted_steps_answer_in_order_then_the_canned_answers_resume() {
        let server = Ai::start().unwrap();
        control(
            &server,
            "script",
            json!([{"reply": "first"}, {"status": 503}]),
        );
        control(&server, "script", json!([{"reply": "third"}]));

        let first = decode(post(&server, CHAT_PATH, chat_body("a", true))).0;
        let failed = post(&server, CHAT_PATH, chat_body("b", true));
        let third = decode(post(&server, CHAT_PATH, chat_body("c", true))).0;
        let canned = decode(post(&server, CHAT_PATH, chat_body("hello", true))).0;

        assert_eq!(first, "first");
        assert_eq!(failed.status(), 503);
        assert_eq!(json_of(failed)["success"], false);
        assert_eq!(third, "third");
        assert_eq!(canned, HELP_REPLY);
        let chat = &requests(&server)["chat"];
        let said: Vec<&Value> = chat
            .as_array()
            .unwrap()
            .iter()
            .map(|body| &body["messages"][1]["content"])
            .collect();
        assert_eq!(said, ["a", "b", "c", "hello"]);
    }

    #[test]
    fn a_script_with_a_bad_step_is_refused_whole() {
        let server = Ai::start().unwrap();

        let reply = Client::new()
            .post(format!("{}/__fake/script", server.base_url()))
            .body(json!([{"reply": "fine"}, {"status": 200}]).to_string())
            .send()
            .unwrap();

        assert_eq!(reply.status(), 400);
        assert_eq!(
            decode(post(&server, CHAT_PATH, chat_body("hello", true))).0,
            HELP_REPLY
        );
    }

    #[test]
    fn a_delayed_step_answers_late_without_holding_up_other_requests() {
        let server = Ai::start().unwrap();
        control(
            &server,
            "script",
            json!([{"reply": "late", "delay_ms": 400}]),
        );
        let started = std::time::Instant::now();

        let slow = std::thread::scope(|scope| {
            let slow = scope.spawn(|| decode(post(&server, CHAT_PATH, chat_body("a", true))).0);
            std::thread::sleep(Duration::from_millis(100));
            let quick = std::time::Instant::now();
            requests(&server);
            assert!(quick.elapsed() < Duration::from_millis(250));
            slow.join().unwrap()
        });

        assert_eq!(slow, "late");
        assert!(started.elapsed() >= Duration::from_millis(400));
    }

    #[test]
    fn every_endpoint_refuses_a_request_without_the_token() {
        let server = Ai::start().unwrap();
        for endpoint in [CHAT_PATH, WHISPER_PATH, MELOTTS_PATH] {
            for token in [None, Some("someone-elses-token")] {
                let mut request = Client::new().post(url(&server, endpoint));
                if let Some(token) = token {
                    request = request.bearer_auth(token);
                }

                let reply = request
                    .body(chat_body("Hours?", false).to_string())
                    .send()
                    .unwrap();

                assert_eq!(reply.status(), 401);
                assert_eq!(
                    json_of(reply),
                    json!({"success": false, "errors": [{"code": 10000, "message": "Authentication error"}],
                        "messages": [], "result": null})
                );
            }
        }
        assert_eq!(requests(&server)["chat"], json!([]));
    }

    #[test]
    fn canned_answers_call_set_hours_with_the_day_and_hours_asked_for() {
        let server = Ai::start().unwrap();

        let (_, calls, _, _) = decode(post(
            &server,
            CHAT_PATH,
            chat_body("Can we open Sundays 10am to 2pm?", true),
        ));

        assert_eq!(calls[0].function.name, "set_hours");
        assert_eq!(
            arguments(&calls[0]),
            json!({"day": "sunday", "hours": "10:00-14:00"})
        );
    }

    #[test]
    fn canned_answers_pick_the_tool_the_request_is_about() {
        let cases = [
            (
                "We are closed on Mondays",
                "set_hours",
                json!({"day": "monday", "closed": true}),
            ),
            (
                "What are our hours?",
                "set_hours",
                json!({"day": "saturday", "hours": "9:00-13:00"}),
            ),
            ("Rewrite my description", "get_listing", json!({})),
            ("Any new leads?", "recent_leads", json!({})),
        ];
        for (said, tool, expected) in cases {
            let Answer::Calls(calls) = canned(&[Message::user(said)]) else {
                panic!("{said}: no tool call");
            };
            assert_eq!(calls[0].name, tool, "{said}");
            assert_eq!(
                serde_json::from_str::<Value>(&calls[0].arguments).unwrap(),
                expected,
                "{said}"
            );
        }
    }

    #[test]
    fn after_a_tool_the_canned_answer_speaks_of_its_result() {
        let text = |result: &str| match canned(&[
            Message::user("Set Saturday 9-1"),
            Message::tool_result("call_1", result),
        ]) {
            Answer::Text(text) => text,
            other => panic!("{other:?}"),
        };

        assert_eq!(text(r#"{"pending_action": {"id": 7}}"#), PENDING_REPLY);
        let long = format!(
            "{{\"name\": \"Ridgeline\", \"notes\": \"{}\"}}",
            "x".repeat(500)
        );
        let found = text(&long);
        assert!(found.starts_with("Here is what I found: {\"name\": \"Ridgeline\""));
        assert_eq!(
            found.chars().count(),
            "Here is what I found: ".len() + TOOL_ECHO_CHARS
        );
    }

    #[test]
    fn hours_are_read_in_the_ways_people_write_them() {
        let cases = [
            ("set saturday to 9:00-13:00", Some("9:00-13:00")),
            ("9-1 on saturdays", Some("9:00-13:00")),
            ("open 9 to 1", Some("9:00-13:00")),
            ("9am to 1pm please", Some("9:00-13:00")),
            ("8:30 am – 5:30 pm", Some("8:30-17:30")),
            ("9-5", Some("9:00-17:00")),
            ("from 7 until 11", Some("7:00-11:00")),
            ("12pm to 4pm", Some("12:00-16:00")),
            ("13:00-17:00", Some("13:00-17:00")),
            ("call 555-1234 at 9", None),
            ("open late on fridays", None),
        ];
        for (text, expected) in cases {
            assert_eq!(hours_range(text).as_deref(), expected, "{text}");
        }
    }

    #[test]
    fn the_first_weekday_named_is_the_day() {
        assert_eq!(hours_arguments("friday and saturday 9-1")["day"], "friday");
        assert_eq!(
            hours_arguments("saturday, not friday, 9-1")["day"],
            "saturday"
        );
        assert_eq!(hours_arguments("open 9-1")["day"], DEFAULT_DAY);
    }

    /// A mono 16-bit PCM WAV of `seconds` at 16 kHz.
    fn wav(seconds: u32) -> Vec<u8> {
        let rate = 16_000u32;
        let data = vec![0u8; (rate * 2 * seconds) as usize];
        let mut wav = b"RIFF".to_vec();
        wav.extend((36 + data.len() as u32).to_le_bytes());
        wav.extend(b"WAVEfmt ");
        wav.extend(16u32.to_le_bytes());
        wav.extend(1u16.to_le_bytes()); // PCM
        wav.extend(1u16.to_le_bytes()); // mono
        wav.extend(rate.to_le_bytes());
        wav.extend((rate * 2).to_le_bytes()); // byte rate
        wav.extend(2u16.to_le_bytes()); // block align
        wav.extend(16u16.to_le_bytes()); // bits per sample
        wav.extend(b"LIST");
        wav.extend(3u32.to_le_bytes());
        wav.extend(b"abc\0"); // an odd-sized chunk, padded
        wav.extend(b"data");
        wav.extend((data.len() as u32).to_le_bytes());
        wav.extend(data);
        wav
    }

    fn transcribe(server: &Server<Ai>, audio: &[u8]) -> Value {
        let audio = Base64::encode_to_string(audio).unwrap();
        let reply = post(server, WHISPER_PATH, json!({"audio": audio}));
        assert_eq!(reply.status(), 200);
        json_of(reply)
    }

    #[test]
    fn speech_to_text_reads_a_wavs_duration_from_its_header() {
        let server = Ai::start().unwrap();

        let answer = transcribe(&server, &wav(3));

        assert_eq!(answer["success"], true);
        assert_eq!(answer["result"]["text"], DEFAULT_TRANSCRIPT);
        assert_eq!(answer["result"]["word_count"], 7);
        assert_eq!(answer["result"]["transcription_info"]["duration"], 3.0);
        assert_eq!(requests(&server)["speech_seconds"], json!([3.0]));
    }

    #[test]
    fn speech_to_text_estimates_other_audio_and_says_the_scripted_transcript() {
        let server = Ai::start().unwrap();
        control(&server, "transcript", json!({"text": "Show me my leads"}));

        let answer = transcribe(&server, &[0x1a, 0x45, 0xdf, 0xa3].repeat(2000));

        assert_eq!(answer["result"]["text"], "Show me my leads");
        assert_eq!(answer["result"]["transcription_info"]["duration"], 2.0);
        control(&server, "reset", json!({}));
        assert_eq!(
            transcribe(&server, &wav(1))["result"]["text"],
            DEFAULT_TRANSCRIPT
        );
        assert_eq!(requests(&server)["speech"], 1);
    }

    #[test]
    fn speech_to_text_refuses_missing_or_broken_audio() {
        let server = Ai::start().unwrap();
        for body in [
            json!({}),
            json!({"audio": "not base64!"}),
            json!({"audio": ""}),
        ] {
            let reply = post(&server, WHISPER_PATH, body.clone());

            assert_eq!(reply.status(), 400, "{body}");
            assert_eq!(json_of(reply)["success"], false);
        }
        assert_eq!(requests(&server)["speech"], 0);
    }

    #[test]
    fn text_to_speech_answers_mp3_frames_longer_for_longer_prompts() {
        let server = Ai::start().unwrap();
        let speak = |prompt: &str| {
            let reply = post(
                &server,
                MELOTTS_PATH,
                json!({"prompt": prompt, "lang": "en"}),
            );
            assert_eq!(reply.status(), 200);
            let audio = json_of(reply)["result"]["audio"].clone();
            Base64::decode_to_vec(audio.as_str().unwrap(), None).unwrap()
        };

        let short = speak("Done.");
        let long = speak(&"Your hours are set. ".repeat(20));
        let longest = speak(&"Your hours are set. ".repeat(200));

        assert_eq!(&short[..4], &[0xFF, 0xFB, 0x90, 0x64]);
        assert_eq!(short.len() % MP3_FRAME_BYTES, 0);
        assert!(short.len() < long.len() && long.len() <= longest.len());
        assert_eq!(longest, silent_mp3(MAX_SPEECH_SECONDS));
        assert_eq!(requests(&server)["tts"][0], "Done.");
        let empty = post(&server, MELOTTS_PATH, json!({"prompt": " "}));
        assert_eq!(empty.status(), 400);
    }

    #[test]
    fn another_account_or_model_is_not_served() {
        let server = Ai::start().unwrap();

        let account = Client::new()
            .post(format!(
                "{}/client/v4/accounts/other/ai/{CHAT_PATH}",
                server.base_url()
            ))
            .bearer_auth(API_TOKEN)
            .body(chat_body("Hi", false).to_string())
            .send()
            .unwrap();
        let model = post(&server, "run/@cf/unknown/model", json!({}));

        assert_eq!(account.status(), 404);
        assert_eq!(model.status(), 400);
    }
}
