//! A [`Doc`] as one self-contained HTML page (inline CSS, no scripts, no external references),
//! to attach to a ticket. Every piece of text is escaped ([`super::escape_html`]). A block ends
//! its line but a table; a card is written on one line, and a section ends its line.

use super::doc::{Block, Doc, Inline, Table, Target};
use super::escape_html;

const STYLE: &str = "body{font:14px/1.45 system-ui,sans-serif;margin:2rem;max-width:70rem;color:#1b1f24}\n\
     table{border-collapse:collapse;width:100%;margin:1rem 0}th,td{border:1px solid #d0d7de;padding:.3rem .5rem;text-align:left;vertical-align:top}\n\
     th{background:#f6f8fa}.alert{background:#fff4e5;border-left:4px solid #d97706;padding:.5rem 1rem;margin:.5rem 0}\n\
     .cause{border:1px solid #d0d7de;border-radius:6px;padding:.5rem 1rem;margin:1rem 0}.fix{background:#eef6ee;padding:.4rem .6rem}\n\
     code{font-family:ui-monospace,monospace}@media (prefers-color-scheme:dark){body{background:#0d1117;color:#e6edf3}th{background:#161b22}.alert{background:#3b2a12}.fix{background:#12301a}}\n";

pub fn render(doc: &Doc) -> String {
    let title = escape_html(&doc.title);
    let mut out = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n\
         <title>{title}</title>\n<style>\n{STYLE}</style></head><body>\n<h1>{title}</h1>\n"
    );
    blocks(&mut out, &doc.blocks, "\n");
    out.push_str("</body></html>\n");
    out
}

/// `end` follows each block but a table: a newline, or nothing inside a card, where only a
/// run of paragraphs followed by something else ends its line.
fn blocks(out: &mut String, blocks: &[Block], end: &str) {
    let mut shown = Vec::new();
    visible(blocks, &mut shown);
    for (i, b) in shown.iter().enumerate() {
        let ends_run = matches!(b, Block::Paragraph(_))
            && shown
                .get(i + 1)
                .is_some_and(|next| !matches!(next, Block::Paragraph(_)));
        block(out, b, if ends_run { "\n" } else { end });
    }
}

/// The blocks HTML shows, [`Block::Only`] resolved.
fn visible<'d>(blocks: &'d [Block], shown: &mut Vec<&'d Block>) {
    for b in blocks {
        match b {
            Block::Only(Target::Html, inner) => visible(inner, shown),
            Block::Only(Target::Markdown, _) => {}
            b => shown.push(b),
        }
    }
}

fn block(out: &mut String, b: &Block, end: &str) {
    match b {
        Block::Section {
            title,
            blocks: inner,
        } => {
            out.push_str("<h2>");
            out.push_str(&escape_html(title));
            out.push_str("</h2>\n");
            blocks(out, inner, end);
            if !out.ends_with('\n') {
                out.push('\n');
            }
        }
        Block::Heading(i) => element(out, "<h3>", i, "</h3>", end),
        Block::Paragraph(i) => element(out, "<p>", i, "</p>", end),
        Block::Line(i) => element(out, "", i, "", end),
        Block::Banner(i) => element(out, "<div class=\"alert\">", i, "</div>", end),
        Block::List(items) => {
            if items.is_empty() {
                return;
            }
            out.push_str("<ul>");
            for item in items {
                element(out, "<li>", item, "</li>", "");
            }
            out.push_str("</ul>");
            out.push_str(end);
        }
        Block::Table(t) => table(out, t),
        Block::Card {
            class,
            blocks: inner,
        } => {
            out.push_str("<div class=\"");
            out.push_str(class);
            out.push_str("\">");
            blocks(out, inner, "");
            out.push_str("</div>");
            out.push_str(end);
        }
        Block::Only(..) => unreachable!("resolved by `visible`"),
    }
}

fn element(out: &mut String, open: &str, i: &[Inline], close: &str, end: &str) {
    out.push_str(open);
    inlines(out, i);
    out.push_str(close);
    out.push_str(end);
}

fn table(out: &mut String, t: &Table) {
    if let Some(title) = &t.title {
        out.push_str("<h2>");
        out.push_str(&escape_html(title));
        out.push_str("</h2>");
    }
    out.push_str("<table><thead><tr>");
    for c in &t.columns {
        out.push_str("<th>");
        out.push_str(&escape_html(c));
        out.push_str("</th>");
    }
    out.push_str("</tr></thead><tbody>\n");
    for row in &t.rows {
        out.push_str("<tr>");
        for cell in row {
            out.push_str("<td>");
            inline(out, cell);
            out.push_str("</td>");
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table>");
}

fn inlines(out: &mut String, inlines: &[Inline]) {
    for i in inlines {
        inline(out, i);
    }
}

fn inline(out: &mut String, i: &Inline) {
    match i {
        Inline::Text(s) | Inline::Plain(s) => out.push_str(&escape_html(s)),
        Inline::Strong(inner) => {
            out.push_str("<strong>");
            inlines(out, inner);
            out.push_str("</strong>");
        }
        Inline::Aside(inner) => {
            out.push_str(" &middot; ");
            inlines(out, inner);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::render::doc::sample;

    #[test]
    fn html_is_one_page_with_every_text_escaped_and_cards_on_one_line() {
        let page = render(&sample());
        assert!(page.starts_with("<!doctype html>\n"), "{page}");
        assert!(page.contains("<title>Sample</title>"), "{page}");
        assert!(!page.contains("<script"), "{page}");
        let body = page.split_once("<h1>Sample</h1>\n").unwrap().1;
        assert_eq!(
            body,
            "<div class=\"alert\">Predicted</div>\n\
             <h2>Causes</h2>\n\
             <div class=\"cause\"><h3>NOT_PROVISIONED &middot; 2 entities</h3><p>Affected: x_y*</p>\n\
             <ul><li>one</li></ul><div class=\"fix\"><strong>Fix:</strong> do &amp; see</div></div>\n\
             <p>html only</p>\n\
             <h2>Entities</h2><table><thead><tr><th></th><th>name</th></tr></thead><tbody>\n\
             <tr><td>user</td><td>a|b &lt;i&gt;</td></tr>\n\
             </tbody></table></body></html>\n"
        );
    }

    #[test]
    fn a_section_that_ends_with_a_table_ends_its_line() {
        let mut table = Table::new(None, &["n"]);
        table.row(vec![Inline::plain("1")]);
        let doc = Doc {
            title: "T".to_string(),
            blocks: vec![Block::Section {
                title: "S".to_string(),
                blocks: vec![Block::Table(table)],
            }],
        };
        assert!(
            render(&doc).ends_with("</tbody></table>\n</body></html>\n"),
            "{}",
            render(&doc)
        );
    }
}
