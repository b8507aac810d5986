//! Constants the suite's scenarios share: a 1×1 PNG and a tiny WAV, base64-encoded as they
//! travel (the same bytes as the suite's reference fixture server, `everything-server.ts`).

/// A 1×1 PNG, base64.
pub const PNG: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==";

/// A WAV header with two bytes of 8 kHz mono 16-bit audio, base64.
pub const WAV: &str = "UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAAB9AAACABAAZGF0YQIAAAA=";

/// The MIME type of [`PNG`].
pub const PNG_MIME: &str = "image/png";

/// The MIME type of [`WAV`]; `tools-call-audio` accepts exactly this one.
pub const WAV_MIME: &str = "audio/wav";
