//! The signed-in side of Kiamichi Biz Connect at app.kiamichibizconnect.com: the sign-in
//! page, the account page and the admin console (moderation, users and roles, the audit
//! log). Each page is a view model loaded through `kbc-domain` and a compiled askama
//! template, which escapes every text; the `agent` worker routes, checks rights and adds
//! headers. Every page works without JavaScript, in the public site's design language.

pub mod assets;
pub mod charts;
pub mod chrome;
pub mod pages;
