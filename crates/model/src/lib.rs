//! One OpenAI-compatible chat-completions client's wire format, used by every worker that needs
//! a model: requests with tools, answers, and the server-sent-events stream assembled into text
//! and tool calls. No I/O: the workers send the bytes.

pub mod stream;
pub mod wire;

pub use stream::{StreamDecoder, StreamEvent};
pub use wire::{
    ChatChunk, ChatRequest, ChatResponse, FunctionCall, Message, Role, StreamOptions, Tool,
    ToolCall, ToolChoice, Usage,
};
