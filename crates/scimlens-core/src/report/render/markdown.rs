//! A [`Doc`] as Markdown. Log text is escaped cell by cell ([`super::md_cell`]), so it can
//! neither break a table nor become markup. Headings and tables stand after a blank line,
//! paragraphs are followed by one, list items and table rows by none.

use super::doc::{Block, Doc, Inline, Table, Target};
use super::md_cell;

pub fn render(doc: &Doc) -> String {
    let mut out = format!("# {}\n\n", doc.title);
    blocks(&mut out, &doc.blocks);
    out
}

fn blocks(out: &mut String, blocks: &[Block]) {
    for b in blocks {
        block(out, b);
    }
}

fn block(out: &mut String, b: &Block) {
    match b {
        Block::Section {
            title,
            blocks: inner,
        } => {
            heading(out, "##", &[Inline::plain(title)]);
            blocks(out, inner);
        }
        Block::Heading(i) => heading(out, "###", i),
        Block::Paragraph(i) | Block::Line(i) => {
            inlines(out, i);
            out.push_str("\n\n");
        }
        Block::Banner(i) => {
            out.push_str("> **");
            inlines(out, i);
            out.push_str("**\n\n");
        }
        Block::List(items) => {
            for item in items {
                out.push_str("- ");
                inlines(out, item);
                out.push('\n');
            }
        }
        Block::Table(t) => table(out, t),
        Block::Card { blocks: inner, .. } => blocks(out, inner),
        Block::Only(Target::Markdown, inner) => blocks(out, inner),
        Block::Only(Target::Html, _) => {}
    }
}

fn blank_line_before(out: &mut String) {
    if !out.ends_with("\n\n") {
        out.push('\n');
    }
}

fn heading(out: &mut String, marks: &str, i: &[Inline]) {
    blank_line_before(out);
    out.push_str(marks);
    out.push(' ');
    inlines(out, i);
    out.push_str("\n\n");
}

fn table(out: &mut String, t: &Table) {
    if let Some(title) = &t.title {
        heading(out, "##", &[Inline::plain(title)]);
    }
    blank_line_before(out);
    out.push('|');
    for c in &t.columns {
        if !c.is_empty() {
            out.push(' ');
            out.push_str(c);
        }
        out.push_str(" |");
    }
    out.push_str("\n|");
    out.push_str(&"---|".repeat(t.columns.len()));
    out.push('\n');
    for row in &t.rows {
        out.push('|');
        for cell in row {
            out.push(' ');
            inline(out, cell);
            out.push_str(" |");
        }
        out.push('\n');
    }
}

fn inlines(out: &mut String, inlines: &[Inline]) {
    for i in inlines {
        inline(out, i);
    }
}

fn inline(out: &mut String, i: &Inline) {
    match i {
        Inline::Text(s) => out.push_str(&md_cell(s)),
        Inline::Plain(s) => out.push_str(s),
        Inline::Strong(inner) => {
            out.push_str("**");
            inlines(out, inner);
            out.push_str("**");
        }
        Inline::Aside(inner) => {
            out.push_str(" (");
            inlines(out, inner);
            out.push(')');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::render::doc::sample;

    #[test]
    fn markdown_escapes_log_text_keeps_program_text_and_spaces_blocks_with_blank_lines() {
        assert_eq!(
            render(&sample()),
            "# Sample\n\n\
             > **Predicted**\n\n\
             ## Causes\n\n\
             ### NOT_PROVISIONED (2 entities)\n\n\
             Affected: x\\_y\\*\n\n\
             - one\n\
             **Fix:** do &amp; see\n\n\
             markdown only\n\n\
             ## Entities\n\n\
             | | name |\n\
             |---|---|\n\
             | user | a\\|b &lt;i&gt; |\n"
        );
    }
}
