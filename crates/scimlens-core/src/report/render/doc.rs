//! The document every rendered output is built into first: a title, then blocks (sections,
//! tables, cards, paragraphs, lists, lines) made of inline text. A subject's builder
//! ([`super::logs`], [`super::compare`], [`super::preflight`]) says what is shown, once; the
//! renderer of each format ([`super::text`], [`super::markdown`], [`super::html`]) says only
//! how, and escapes every [`Inline::Text`] for its output.

/// A titled sequence of blocks.
#[derive(Debug, Clone, PartialEq)]
pub struct Doc {
    /// Markdown's `#` line and the HTML page's title and first heading; a terminal summary
    /// starts straight with its content.
    pub title: String,
    pub blocks: Vec<Block>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// A section: a heading (level 2) over its blocks.
    Section {
        title: String,
        blocks: Vec<Block>,
    },
    /// A heading of level 3, such as a root cause's name.
    Heading(Vec<Inline>),
    Paragraph(Vec<Inline>),
    /// Text outside a paragraph: a terminal line, or the bare text of a card.
    Line(Vec<Inline>),
    /// Said above everything it qualifies (a predicted report).
    Banner(Vec<Inline>),
    /// A bulleted list; an empty one shows nothing.
    List(Vec<Vec<Inline>>),
    Table(Table),
    /// A framed group shown as one piece (a root cause with its fix, an alert); `class` names
    /// its look.
    Card {
        class: &'static str,
        blocks: Vec<Block>,
    },
    /// Blocks one format shows and the others leave out: where the formats' contents still
    /// differ, said here rather than in a renderer.
    Only(Target, Vec<Block>),
}

/// A format that [`Block::Only`] can single out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Markdown,
    Html,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Inline {
    /// Text from a log, a file or the user: escaped for the output's markup.
    Text(String),
    /// Text the program wrote (labels, numbers, times, enum names): only HTML escapes it.
    Plain(String),
    Strong(Vec<Inline>),
    /// A remark after a title, such as its count.
    Aside(Vec<Inline>),
}

impl Inline {
    pub fn text(s: impl Into<String>) -> Inline {
        Inline::Text(s.into())
    }

    pub fn plain(s: impl Into<String>) -> Inline {
        Inline::Plain(s.into())
    }
}

impl Block {
    /// A line of one piece of text.
    pub fn line(s: impl Into<String>) -> Block {
        Block::Line(vec![Inline::text(s)])
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Shown as a heading (level 2) right above the table.
    pub title: Option<String>,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Inline>>,
}

impl Table {
    pub fn new(title: Option<&str>, columns: &[&str]) -> Table {
        Table {
            title: title.map(str::to_string),
            columns: columns.iter().map(|c| c.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    pub fn row(&mut self, cells: Vec<Inline>) {
        assert_eq!(
            cells.len(),
            self.columns.len(),
            "a row has one cell per column"
        );
        self.rows.push(cells);
    }

    /// The same table without its column `name`.
    pub fn without(&self, name: &str) -> Table {
        let i = self
            .columns
            .iter()
            .position(|c| c == name)
            .expect("the column to leave out is in the table");
        let mut t = self.clone();
        t.columns.remove(i);
        for row in &mut t.rows {
            row.remove(i);
        }
        t
    }
}

/// One small document with every kind of block, log text that is markup in Markdown and HTML,
/// and program text with underscores: what each renderer's tests render.
#[cfg(test)]
pub(super) fn sample() -> Doc {
    let mut table = Table::new(Some("Entities"), &["", "name"]);
    table.row(vec![Inline::plain("user"), Inline::text("a|b <i>")]);
    Doc {
        title: "Sample".to_string(),
        blocks: vec![
            Block::Banner(vec![Inline::plain("Predicted")]),
            Block::Section {
                title: "Causes".to_string(),
                blocks: vec![Block::Card {
                    class: "cause",
                    blocks: vec![
                        Block::Heading(vec![
                            Inline::plain("NOT_PROVISIONED"),
                            Inline::Aside(vec![Inline::plain("2 entities")]),
                        ]),
                        Block::Paragraph(vec![Inline::plain("Affected: "), Inline::text("x_y*")]),
                        Block::List(vec![vec![Inline::text("one")]]),
                        Block::Card {
                            class: "fix",
                            blocks: vec![Block::Line(vec![
                                Inline::Strong(vec![Inline::plain("Fix:")]),
                                Inline::plain(" "),
                                Inline::text("do & see"),
                            ])],
                        },
                    ],
                }],
            },
            Block::Only(
                Target::Markdown,
                vec![Block::Paragraph(vec![Inline::plain("markdown only")])],
            ),
            Block::Only(
                Target::Html,
                vec![Block::Paragraph(vec![Inline::plain("html only")])],
            ),
            Block::Table(table),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_without_a_column_loses_its_heading_and_its_cells() {
        let mut t = Table::new(None, &["kind", "message", "name"]);
        t.row(vec![
            Inline::plain("user"),
            Inline::text("rejected"),
            Inline::text("ann"),
        ]);
        let t = t.without("message");
        assert_eq!(t.columns, ["kind", "name"]);
        assert_eq!(t.rows, [vec![Inline::plain("user"), Inline::text("ann")]]);
    }

    #[test]
    #[should_panic(expected = "one cell per column")]
    fn a_row_with_a_missing_cell_is_refused() {
        Table::new(None, &["kind", "name"]).row(vec![Inline::plain("user")]);
    }
}
