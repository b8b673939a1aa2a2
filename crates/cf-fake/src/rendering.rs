//! The fake of Cloudflare Browser Rendering's REST screenshot endpoint, which renders the
//! product's share cards: `POST /client/v4/accounts/{ACCOUNT_ID}/browser-rendering/screenshot`
//! with the API token, a JSON body giving the `html` (or a `url`), the `viewport` and
//! `screenshotOptions.type`, answered with a real image of the viewport's size: a PNG
//! (zlib-compressed, the page's text excerpt in a `tEXt` comment) or a baseline JPEG, in a
//! colour taken from the page, with a darker band at the bottom. Errors come in Cloudflare's
//! `{"success","errors","messages","result"}` envelope.
//!
//! It draws nothing of the page: tests need an image that decoders accept, of the right
//! size, and a record of what was asked. Tests in another process read that record
//! (`GET /__fake/requests`: each page's length and a short excerpt of its text), make the
//! next renders fail (`POST /__fake/fail`) and start afresh (`POST /__fake/reset`).

use crate::cloudflare::{error, no_route};
use crate::http::{Handler, Reply, Request, Server};
use flate2::Compression;
use flate2::write::ZlibEncoder;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::io::{self, Write};

/// The account the fake serves; every other account's path is unroutable.
pub const ACCOUNT_ID: &str = "fake-rendering-account";
/// The API token it accepts (`Authorization: Bearer …`).
pub const API_TOKEN: &str = "fake-rendering-token";
/// The viewport when the request gives none: a share card's size.
pub const DEFAULT_WIDTH: u32 = 1200;
pub const DEFAULT_HEIGHT: u32 = 630;
/// The largest side it renders, so a mistaken viewport cannot exhaust memory.
pub const MAX_SIDE: u32 = 4096;

const CONTROL_PREFIX: &str = "/__fake/";
/// The characters of a page's text `/__fake/requests` shows.
const EXCERPT_CHARS: usize = 160;
/// What each render reports having used of the browser, as Cloudflare's header does.
const BROWSER_MS_USED: &str = "850";
const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

/// The fake's state; reach it through [`Server::with`] or, from another process, `/__fake/…`.
#[derive(Debug, Default)]
pub struct Rendering {
    /// What each render was asked, in order (failed ones too).
    requests: Vec<Value>,
    /// Renders still to fail, each with its status, code and message.
    failures: Vec<(u16, u32, String)>,
}

impl Handler for Rendering {
    fn handle(&mut self, request: &Request, _base_url: &str) -> Reply {
        if let Some(action) = request.path.strip_prefix(CONTROL_PREFIX) {
            return self.control(request, action);
        }
        if !authorized(request) {
            return error(401, 10000, "Authentication error");
        }
        let path = format!("/client/v4/accounts/{ACCOUNT_ID}/browser-rendering/screenshot");
        match (request.method.as_str(), request.path == path) {
            ("POST", true) => self.screenshot(request),
            _ => no_route(),
        }
    }
}

/// What a screenshot request asks for.
struct Screenshot {
    width: u32,
    height: u32,
    jpeg: bool,
    /// The page's HTML, or its URL when it is to be fetched.
    page: String,
    url: Option<String>,
}

impl Screenshot {
    fn parse(body: &Value) -> Result<Self, String> {
        if !body.is_object() {
            return Err("the body must be a JSON object".into());
        }
        let text = |name: &str| {
            body.get(name)
                .and_then(Value::as_str)
                .filter(|t| !t.is_empty())
        };
        let (page, url) = match (text("html"), text("url")) {
            (Some(html), None) => (html.to_owned(), None),
            (None, Some(url)) => (String::new(), Some(url.to_owned())),
            _ => return Err("exactly one of html and url must be given".into()),
        };
        let side = |name: &str, default: u32| match body["viewport"].get(name) {
            None | Some(Value::Null) => Ok(default),
            Some(value) => value
                .as_u64()
                .and_then(|v| u32::try_from(v).ok())
                .filter(|v| (1..=MAX_SIDE).contains(v))
                .ok_or(format!(
                    "viewport.{name} must be a whole number from 1 to {MAX_SIDE}"
                )),
        };
        let jpeg = match body["screenshotOptions"]["type"].as_str() {
            None | Some("png") => false,
            Some("jpeg") => true,
            Some(other) => {
                return Err(format!("screenshotOptions.type {other} is not png or jpeg"));
            }
        };
        Ok(Self {
            width: side("width", DEFAULT_WIDTH)?,
            height: side("height", DEFAULT_HEIGHT)?,
            jpeg,
            page,
            url,
        })
    }
}

impl Rendering {
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts on a free loopback port.
    pub fn start() -> io::Result<Server<Self>> {
        Server::start(Self::new())
    }

    /// Starts on `addr`, e.g. `"127.0.0.1:8795"`.
    pub fn start_on(addr: &str) -> io::Result<Server<Self>> {
        Server::start_on(Self::new(), addr)
    }

    fn control(&mut self, request: &Request, action: &str) -> Reply {
        match (request.method.as_str(), action) {
            ("POST", "reset") => {
                *self = Self::default();
                Reply::json(200, &json!({}))
            }
            ("GET", "requests") => Reply::json(200, &json!({"requests": self.requests})),
            ("POST", "fail") => {
                let body = request.json();
                let times = body["times"].as_u64().unwrap_or(1);
                let Some(status) = body["status"]
                    .as_u64()
                    .or(Some(500).filter(|_| body["status"].is_null()))
                    .and_then(|s| u16::try_from(s).ok())
                    .filter(|s| (400..=599).contains(s))
                else {
                    return error(400, 1001, "status must be an error status (400-599)");
                };
                let code = body["code"]
                    .as_u64()
                    .and_then(|c| u32::try_from(c).ok())
                    .unwrap_or(u32::from(status) * 10);
                let message = body["message"].as_str().map_or_else(
                    || format!("Rendering failed (status {status}, asked for by the test)"),
                    str::to_owned,
                );
                for _ in 0..times {
                    self.failures.push((status, code, message.clone()));
                }
                Reply::json(200, &json!({"queued": self.failures.len()}))
            }
            _ => error(404, 7000, "No route for that URI"),
        }
    }

    fn screenshot(&mut self, request: &Request) -> Reply {
        let shot = match Screenshot::parse(&request.json()) {
            Ok(shot) => shot,
            Err(problem) => return error(400, 1001, &problem),
        };
        let excerpt = excerpt(&shot.page);
        let failure = (!self.failures.is_empty()).then(|| self.failures.remove(0));
        self.requests.push(json!({
            "html_length": shot.page.len(),
            "excerpt": excerpt,
            "url": shot.url,
            "viewport": {"width": shot.width, "height": shot.height},
            "type": if shot.jpeg { "jpeg" } else { "png" },
            "status": failure.as_ref().map_or(200, |(status, _, _)| *status),
        }));
        if let Some((status, code, message)) = failure {
            return error(status, code, &message);
        }
        let colour = colour_of(shot.url.as_deref().unwrap_or(&shot.page));
        let image = if shot.jpeg {
            Ok((jpeg(shot.width, shot.height, colour), "image/jpeg"))
        } else {
            png(shot.width, shot.height, colour, &excerpt).map(|png| (png, "image/png"))
        };
        match image {
            Ok((bytes, content_type)) => Reply::bytes(200, content_type, bytes)
                .with_header("X-Browser-Ms-Used", BROWSER_MS_USED),
            Err(err) => error(500, 5000, &format!("encoding the screenshot: {err}")),
        }
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

/// The page's text without its tags, styles and scripts, spaces collapsed, cut short.
fn excerpt(html: &str) -> String {
    let mut text = String::new();
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        text.push_str(rest.get(..open).unwrap_or_default());
        text.push(' ');
        let tag = rest.get(open..).unwrap_or_default();
        let lower = tag.get(..8).unwrap_or(tag).to_ascii_lowercase();
        // A style's or script's content is no text of the page.
        let skip_to = ["<style", "<script"]
            .iter()
            .find(|start| lower.starts_with(**start))
            .and_then(|start| {
                let close = format!("</{}", start.trim_start_matches('<'));
                tag.to_ascii_lowercase().find(&close)
            });
        let after = skip_to.map_or(tag, |close| tag.get(close..).unwrap_or_default());
        rest = after.split_once('>').map_or("", |(_, after)| after);
    }
    text.push_str(rest);
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(EXCERPT_CHARS)
        .collect()
}

/// A colour of middling brightness taken from the page, so different cards differ.
fn colour_of(page: &str) -> [u8; 3] {
    let digest = Sha256::digest(page.as_bytes());
    let mut colour = [0; 3];
    for (channel, byte) in colour.iter_mut().zip(digest.iter()) {
        *channel = 64 + byte / 2;
    }
    colour
}

/// The colour of row `y`: the page's, and a darker band in the bottom sixth.
fn row_colour(y: u32, height: u32, colour: [u8; 3]) -> [u8; 3] {
    if y >= height - height / 6 {
        colour.map(|c| c / 2)
    } else {
        colour
    }
}

/// An 8-bit RGB PNG: IHDR, a `tEXt` comment, the zlib-compressed rows (no filter), IEND.
fn png(width: u32, height: u32, colour: [u8; 3], comment: &str) -> io::Result<Vec<u8>> {
    let mut header = Vec::with_capacity(13);
    header.extend(width.to_be_bytes());
    header.extend(height.to_be_bytes());
    // Bit depth 8, colour type 2 (RGB), deflate, no filter method variants, no interlace.
    header.extend([8, 2, 0, 0, 0]);
    // tEXt is Latin-1; a character beyond it is shown as `?`.
    let mut text = b"Comment\0".to_vec();
    text.extend(comment.chars().map(|c| {
        u8::try_from(u32::from(c))
            .ok()
            .filter(|b| *b != 0)
            .unwrap_or(b'?')
    }));
    let mut rows = ZlibEncoder::new(Vec::new(), Compression::fast());
    let row = |colour: [u8; 3]| {
        let mut row = vec![0u8];
        for _ in 0..width {
            row.extend(colour);
        }
        row
    };
    let (top, band) = (
        row(row_colour(0, height, colour)),
        row(row_colour(height - 1, height, colour)),
    );
    for y in 0..height {
        let band_row = row_colour(y, height, colour) != colour;
        rows.write_all(if band_row { &band } else { &top })?;
    }
    let mut png = PNG_SIGNATURE.to_vec();
    chunk(&mut png, b"IHDR", &header);
    chunk(&mut png, b"tEXt", &text);
    chunk(&mut png, b"IDAT", &rows.finish()?);
    chunk(&mut png, b"IEND", &[]);
    Ok(png)
}

/// A PNG chunk: length, type, data and the CRC-32 of type and data.
fn chunk(png: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    let length = u32::try_from(data.len()).unwrap_or(u32::MAX);
    png.extend(length.to_be_bytes());
    png.extend(kind);
    png.extend(data);
    let mut crc = flate2::Crc::new();
    crc.update(kind);
    crc.update(data);
    png.extend(crc.sum().to_be_bytes());
}

/// A baseline JPEG (JFIF, YCbCr 4:4:4) of the same picture as [`png`]'s, without its
/// comment. Each 8×8 block is one colour, so only DC coefficients are coded; the quantiser is
/// 1 throughout and the AC table holds only end-of-block.
fn jpeg(width: u32, height: u32, colour: [u8; 3]) -> Vec<u8> {
    // The standard luminance DC table (ITU T.81 K.3): code lengths 2 to 9 for categories 0–11.
    const DC_BITS: [u8; 16] = [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0];
    const DC_CODES: [(u16, u8); 12] = [
        (0b00, 2),
        (0b010, 3),
        (0b011, 3),
        (0b100, 3),
        (0b101, 3),
        (0b110, 3),
        (0b1110, 4),
        (0b11110, 5),
        (0b111110, 6),
        (0b1111110, 7),
        (0b11111110, 8),
        (0b111111110, 9),
    ];
    let mut out = vec![0xFF, 0xD8];
    let mut segment = |marker: u8, data: &[u8]| {
        out.extend([0xFF, marker]);
        out.extend(
            u16::try_from(data.len() + 2)
                .unwrap_or(u16::MAX)
                .to_be_bytes(),
        );
        out.extend(data);
    };
    segment(0xE0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
    let mut quant = vec![0u8];
    quant.extend([1u8; 64]);
    segment(0xDB, &quant);
    let (w, h) = (
        u16::try_from(width).unwrap_or(u16::MAX),
        u16::try_from(height).unwrap_or(u16::MAX),
    );
    let mut frame = vec![8];
    frame.extend(h.to_be_bytes());
    frame.extend(w.to_be_bytes());
    frame.extend([3, 1, 0x11, 0, 2, 0x11, 0, 3, 0x11, 0]);
    segment(0xC0, &frame);
    let mut dc = vec![0x00];
    dc.extend(DC_BITS);
    dc.extend(0..12u8);
    segment(0xC4, &dc);
    // One code, `0`, for end-of-block.
    let mut ac = vec![0x10, 1];
    ac.extend([0u8; 15]);
    ac.push(0x00);
    segment(0xC4, &ac);
    segment(0xDA, &[3, 1, 0x00, 2, 0x00, 3, 0x00, 0, 63, 0]);

    let mut bits = BitWriter::default();
    let mut previous = [0i32; 3];
    for block_row in 0..height.div_ceil(8) {
        let ycbcr = ycbcr(row_colour(block_row * 8, height, colour));
        for _ in 0..width.div_ceil(8) {
            for (component, value) in ycbcr.iter().enumerate() {
                // A flat block's DC coefficient is 8 × (value − 128).
                let coefficient = 8 * (i32::from(*value) - 128);
                let diff = coefficient - previous[component];
                previous[component] = coefficient;
                let category = 32 - diff.unsigned_abs().leading_zeros();
                let (code, length) = DC_CODES[category as usize];
                bits.put(u32::from(code), u32::from(length));
                let magnitude = if diff < 0 {
                    diff + (1 << category) - 1
                } else {
                    diff
                };
                bits.put(magnitude as u32, category);
                bits.put(0, 1);
            }
        }
    }
    out.extend(bits.finish());
    out.extend([0xFF, 0xD9]);
    out
}

/// JFIF's full-range YCbCr of an RGB colour.
fn ycbcr([r, g, b]: [u8; 3]) -> [u8; 3] {
    let (r, g, b) = (f64::from(r), f64::from(g), f64::from(b));
    let y = 0.299 * r + 0.587 * g + 0.114 * b;
    let cb = 128.0 - 0.168_736 * r - 0.331_264 * g + 0.5 * b;
    let cr = 128.0 + 0.5 * r - 0.418_688 * g - 0.081_312 * b;
    [y, cb, cr].map(|v| v.round().clamp(0.0, 255.0) as u8)
}

/// Entropy-coded bits, most significant first, with a 0 stuffed after every 0xFF byte.
#[derive(Default)]
struct BitWriter {
    bytes: Vec<u8>,
    current: u32,
    filled: u32,
}

impl BitWriter {
    fn put(&mut self, value: u32, length: u32) {
        for shift in (0..length).rev() {
            self.current = (self.current << 1) | ((value >> shift) & 1);
            self.filled += 1;
            if self.filled == 8 {
                let byte = self.current as u8;
                self.bytes.push(byte);
                if byte == 0xFF {
                    self.bytes.push(0);
                }
                self.current = 0;
                self.filled = 0;
            }
        }
    }

    /// The bytes, the last padded with 1 bits.
    fn finish(mut self) -> Vec<u8> {
        if self.filled > 0 {
            let pad = 8 - self.filled;
            self.put((1 << pad) - 1, pad);
        }
        self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::read::ZlibDecoder;
    use reqwest::blocking::{Client, Response};
    use std::io::Read;

    const CARD: &str = "<!doctype html><html><head><style>body { color: red }</style>\
        <script>var x = 1;</script><title>Card</title></head>\
        <body><h1>Pine Ridge Bakery</h1><p>Fresh   bread &amp; pies</p></body></html>";

    fn screenshot(server: &Server<Rendering>, token: &str, body: Value) -> Response {
        Client::new()
            .post(format!(
                "{}/client/v4/accounts/{ACCOUNT_ID}/browser-rendering/screenshot",
                server.base_url()
            ))
            .bearer_auth(token)
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .unwrap()
    }

    fn control(server: &Server<Rendering>, action: &str, body: Value) {
        let reply = Client::new()
            .post(format!("{}/__fake/{action}", server.base_url()))
            .body(body.to_string())
            .send()
            .unwrap();
        assert_eq!(reply.status(), 200);
    }

    fn requests(server: &Server<Rendering>) -> Value {
        let reply = Client::new()
            .get(format!("{}/__fake/requests", server.base_url()))
            .send()
            .unwrap();
        serde_json::from_str(&reply.text().unwrap()).unwrap()
    }

    /// The PNG's chunks as (type, data), each CRC checked.
    fn chunks(png: &[u8]) -> Vec<(String, Vec<u8>)> {
        assert_eq!(&png[..8], PNG_SIGNATURE);
        let mut chunks = Vec::new();
        let mut rest = &png[8..];
        while !rest.is_empty() {
            let length = u32::from_be_bytes(rest[..4].try_into().unwrap()) as usize;
            let (kind, data) = (&rest[4..8], &rest[8..8 + length]);
            let crc = u32::from_be_bytes(rest[8 + length..12 + length].try_into().unwrap());
            let mut expected = flate2::Crc::new();
            expected.update(kind);
            expected.update(data);
            assert_eq!(crc, expected.sum(), "{}", String::from_utf8_lossy(kind));
            chunks.push((String::from_utf8(kind.to_vec()).unwrap(), data.to_vec()));
            rest = &rest[12 + length..];
        }
        chunks
    }

    #[test]
    fn a_screenshot_is_a_png_of_the_viewports_size() {
        let server = Rendering::start().unwrap();

        let reply = screenshot(
            &server,
            API_TOKEN,
            json!({"html": CARD, "viewport": {"width": 640, "height": 336},
                "screenshotOptions": {"type": "png"}}),
        );

        assert_eq!(reply.status(), 200);
        assert_eq!(reply.headers()["content-type"], "image/png");
        let png = reply.bytes().unwrap();
        let chunks = chunks(&png);
        let kinds: Vec<&str> = chunks.iter().map(|(kind, _)| kind.as_str()).collect();
        assert_eq!(kinds, ["IHDR", "tEXt", "IDAT", "IEND"]);
        let header = &chunks[0].1;
        assert_eq!(u32::from_be_bytes(header[..4].try_into().unwrap()), 640);
        assert_eq!(u32::from_be_bytes(header[4..8].try_into().unwrap()), 336);
        assert_eq!(&header[8..], [8, 2, 0, 0, 0]);
        let mut pixels = Vec::new();
        ZlibDecoder::new(&chunks[2].1[..])
            .read_to_end(&mut pixels)
            .unwrap();
        assert_eq!(pixels.len(), 336 * (1 + 640 * 3));
        let top = &pixels[1..4];
        let bottom = &pixels[pixels.len() - 3..];
        assert_ne!(top, bottom, "the bottom band is darker");
        assert!(png.len() < 20_000, "a flat picture compresses");
    }

    #[test]
    fn the_default_viewport_is_a_share_cards_and_the_comment_is_the_pages_text() {
        let server = Rendering::start().unwrap();

        let png = screenshot(&server, API_TOKEN, json!({"html": CARD}))
            .bytes()
            .unwrap();

        let chunks = chunks(&png);
        let header = &chunks[0].1;
        assert_eq!(
            u32::from_be_bytes(header[..4].try_into().unwrap()),
            DEFAULT_WIDTH
        );
        assert_eq!(
            u32::from_be_bytes(header[4..8].try_into().unwrap()),
            DEFAULT_HEIGHT
        );
        assert_eq!(
            String::from_utf8(chunks[1].1.clone()).unwrap(),
            "Comment\0Card Pine Ridge Bakery Fresh bread &amp; pies"
        );
        let record = &requests(&server)["requests"][0];
        assert_eq!(record["html_length"], CARD.len());
        assert_eq!(
            record["excerpt"],
            "Card Pine Ridge Bakery Fresh bread &amp; pies"
        );
        assert_eq!(record["viewport"], json!({"width": 1200, "height": 630}));
        assert_eq!(record["status"], 200);
    }

    #[test]
    fn a_jpeg_screenshot_has_the_viewports_size_in_its_frame_header() {
        let server = Rendering::start().unwrap();

        let reply = screenshot(
            &server,
            API_TOKEN,
            json!({"html": CARD, "viewport": {"width": 1200, "height": 630},
                "screenshotOptions": {"type": "jpeg"}}),
        );

        assert_eq!(reply.headers()["content-type"], "image/jpeg");
        let jpeg = reply.bytes().unwrap();
        assert_eq!(&jpeg[..2], [0xFF, 0xD8]);
        assert_eq!(&jpeg[jpeg.len() - 2..], [0xFF, 0xD9]);
        let frame = jpeg.windows(2).position(|w| w == [0xFF, 0xC0]).unwrap();
        let height = u16::from_be_bytes([jpeg[frame + 5], jpeg[frame + 6]]);
        let width = u16::from_be_bytes([jpeg[frame + 7], jpeg[frame + 8]]);
        assert_eq!((width, height), (1200, 630));
    }

    #[test]
    fn jpeg_bits_are_stuffed_after_ff_and_padded_with_ones() {
        let mut bits = BitWriter::default();
        bits.put(0xFF, 8);
        bits.put(0b01, 2);

        assert_eq!(bits.finish(), [0xFF, 0x00, 0b0111_1111]);
    }

    #[test]
    fn a_wrong_token_is_refused_with_the_envelope() {
        let server = Rendering::start().unwrap();

        let reply = screenshot(&server, "someone-elses-token", json!({"html": CARD}));

        assert_eq!(reply.status(), 401);
        let body: Value = serde_json::from_str(&reply.text().unwrap()).unwrap();
        assert_eq!(
            body,
            json!({"success": false, "errors": [{"code": 10000, "message": "Authentication error"}],
                "messages": [], "result": null})
        );
        assert_eq!(requests(&server)["requests"], json!([]));
    }

    #[test]
    fn a_body_without_a_page_or_with_a_bad_viewport_is_refused() {
        let server = Rendering::start().unwrap();
        for body in [
            json!({}),
            json!({"html": CARD, "url": "https://example.test"}),
            json!({"html": CARD, "viewport": {"width": 0, "height": 630}}),
            json!({"html": CARD, "viewport": {"width": 100_000, "height": 630}}),
            json!({"html": CARD, "screenshotOptions": {"type": "gif"}}),
        ] {
            let reply = screenshot(&server, API_TOKEN, body.clone());

            assert_eq!(reply.status(), 400, "{body}");
        }
    }

    #[test]
    fn the_next_renders_fail_as_asked_then_succeed() {
        let server = Rendering::start().unwrap();
        control(&server, "fail", json!({"times": 2, "status": 500}));

        let first = screenshot(&server, API_TOKEN, json!({"html": CARD}));
        let second = screenshot(
            &server,
            API_TOKEN,
            json!({"url": "https://example.test/card"}),
        );
        let third = screenshot(&server, API_TOKEN, json!({"html": CARD}));

        assert_eq!(first.status(), 500);
        let body: Value = serde_json::from_str(&first.text().unwrap()).unwrap();
        assert_eq!(body["success"], false);
        assert!(body["errors"][0]["message"].is_string());
        assert_eq!(second.status(), 500);
        assert_eq!(third.status(), 200);
        let statuses: Vec<Value> = requests(&server)["requests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["status"].clone())
            .collect();
        assert_eq!(statuses, [500, 500, 200]);
        control(&server, "reset", json!({}));
        assert_eq!(requests(&server)["requests"], json!([]));
    }
}
