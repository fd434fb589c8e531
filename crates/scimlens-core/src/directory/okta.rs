//! Okta's user CSV export (Directory > People > export, or a user report). Column names are
//! [unknown] across Okta versions: profile attribute names (`login`, `firstName`) and report
//! titles (`Username`, `First name`) are both matched, case-insensitively, onto Okta's profile
//! attribute names, which the AWS app's default mapping refers to.

use std::io::BufRead;
use std::path::Path;

use super::{Directory, csv_entry, read_csv_rows};
use crate::error::Result;

fn canonical(normalized: &str) -> Option<&'static str> {
    Some(match normalized {
        "login" | "username" | "oktausername" => "login",
        "id" | "oktaid" | "userid" => "id",
        "firstname" | "givenname" => "firstName",
        "lastname" | "familyname" | "surname" => "lastName",
        "email" | "primaryemail" => "email",
        "secondemail" | "secondaryemail" => "secondEmail",
        "displayname" => "displayName",
        "nickname" => "nickName",
        "title" => "title",
        "department" => "department",
        "employeenumber" => "employeeNumber",
        "mobilephone" => "mobilePhone",
        "primaryphone" => "primaryPhone",
        "streetaddress" => "streetAddress",
        "city" => "city",
        "state" => "state",
        "zipcode" | "postalcode" => "zipCode",
        "countrycode" | "country" => "countryCode",
        "usertype" => "userType",
        "locale" => "locale",
        "timezone" => "timezone",
        "preferredlanguage" => "preferredLanguage",
        "profileurl" => "profileUrl",
        "status" => "status",
        _ => return None,
    })
}

pub fn read_csv(path: &Path, reader: impl BufRead, dir: &mut Directory) -> Result<()> {
    read_csv_rows(path, reader, |header, record| {
        dir.users.push(csv_entry(header, record, &canonical, "id"));
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_names_and_report_titles_both_read() {
        let csv = "id,status,login,firstName,lastName,email,displayName,mobilePhone\n\
                   00u1,ACTIVE,ann@x.com,Ann,Lee,ann@x.com,,+1 5\n";
        let mut dir = Directory::default();
        read_csv(Path::new("okta.csv"), csv.as_bytes(), &mut dir).unwrap();
        let u = &dir.users[0];
        assert_eq!(u.idp_id.as_deref(), Some("00u1"));
        assert_eq!(u.first("login"), Some("ann@x.com"));
        assert_eq!(u.first("displayName"), None, "an empty cell is no value");

        let csv = "Username;First name;Last name;Primary email;Okta ID\nbob@x.com;Bob;Bo;bob@x.com;00u2\n";
        let mut dir = Directory::default();
        read_csv(Path::new("report.csv"), csv.as_bytes(), &mut dir).unwrap();
        assert_eq!(dir.users[0].first("firstName"), Some("Bob"));
        assert_eq!(dir.users[0].idp_id.as_deref(), Some("00u2"));
    }
}
