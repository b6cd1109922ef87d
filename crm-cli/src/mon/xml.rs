//! The XML renderer (`--output-as=xml`), Pacemaker's API result schema.

use super::{Options, Status};

pub fn render(_st: &Status, _opts: &Options, request: &str) -> String {
    format!("<pacemaker-result api-version=\"2.25\" request=\"{request}\">\n</pacemaker-result>\n")
}
