//! A [`Doc`] as plain text, one line a block: the terminal's format. Nothing is escaped here;
//! what reaches a terminal goes through [`super::terminal_safe`].

use super::doc::{Block, Doc, Inline};

pub fn render(doc: &Doc) -> String {
    let mut out = String::new();
    doc.blocks.iter().for_each(|b| block(&mut out, b));
    out
}

fn block(out: &mut String, b: &Block) {
    match b {
        Block::Section { title, blocks } => {
            line(out, &[Inline::plain(title)]);
            blocks.iter().for_each(|b| block(out, b));
        }
        Block::Heading(i) | Block::Paragraph(i) | Block::Line(i) | Block::Banner(i) => line(out, i),
        Block::List(items) => {
            for item in items {
                out.push_str("- ");
                line(out, item);
            }
        }
        Block::Table(t) => {
            if let Some(title) = &t.title {
                out.push_str(title);
                out.push('\n');
            }
            out.push_str(&t.columns.join("  "));
            out.push('\n');
            for row in &t.rows {
                for (i, cell) in row.iter().enumerate() {
                    if i > 0 {
                        out.push_str("  ");
                    }
                    inline(out, cell);
                }
                out.push('\n');
            }
        }
        Block::Card { blocks, .. } => blocks.iter().for_each(|b| block(out, b)),
        Block::Only(..) => {}
    }
}

fn line(out: &mut String, inlines: &[Inline]) {
    for i in inlines {
        inline(out, i);
    }
    out.push('\n');
}

fn inline(out: &mut String, i: &Inline) {
    match i {
        Inline::Text(s) | Inline::Plain(s) => out.push_str(s),
        Inline::Strong(inner) => inner.iter().for_each(|i| inline(out, i)),
        Inline::Aside(inner) => {
            out.push_str(" - ");
            inner.iter().for_each(|i| inline(out, i));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::render::doc::sample;

    #[test]
    fn text_shows_every_block_as_lines_unescaped_and_leaves_out_other_formats_blocks() {
        assert_eq!(
            render(&sample()),
            "Predicted\n\
             Causes\n\
             NOT_PROVISIONED - 2 entities\n\
             Affected: x_y*\n\
             - one\n\
             Fix: do & see\n\
             Entities\n  name\n\
             user  a|b <i>\n"
        );
    }
}
