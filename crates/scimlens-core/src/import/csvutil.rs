//! CSV helpers shared by the CSV importers.
