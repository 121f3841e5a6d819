//! AttachThingPrincipal, DetachThingPrincipal, ListThingPrincipals, ListPrincipalThings: the
//! principal travels in the `x-amzn-principal` header.

use crate::common::{names, new_certificate, str_of, Api};

const PRINCIPAL: &str = "x-amzn-principal";

#[test]
fn certificates_attach_to_things() {
    let api = Api::new();
    let certificate = new_certificate(&api, true);
    let arn = str_of(&certificate, "certificateArn").to_string();
    for thing in ["t1", "t2"] {
        api.post(&format!("/things/{thing}")).ok();
        api.put(&format!("/things/{thing}/principals"))
            .header(PRINCIPAL, &arn)
            .ok();
    }
    api.put("/things/t1/principals")
        .header(PRINCIPAL, &arn)
        .ok();
    let principals = api.get("/things/t1/principals").ok();
    assert_eq!(
        names(&principals, "principals", None),
        std::slice::from_ref(&arn)
    );
    let things = api.get("/principals/things").header(PRINCIPAL, &arn).ok();
    assert_eq!(names(&things, "things", None), ["t1", "t2"]);
    let page = api
        .get("/principals/things")
        .header(PRINCIPAL, &arn)
        .query("maxResults", "1")
        .ok();
    let next = str_of(&page, "nextToken").to_string();
    let rest = api
        .get("/principals/things")
        .header(PRINCIPAL, &arn)
        .query("nextToken", &next)
        .ok();
    assert_eq!(names(&rest, "things", None), ["t2"]);

    // the thing version does not move with attachments
    assert_eq!(api.get("/things/t1").ok()["version"], 1);
    // a thing with principals cannot be deleted
    let body = api
        .delete("/things/t1")
        .fails(400, "InvalidRequestException");
    assert!(str_of(&body, "message").contains("principals"), "{body}");
    api.delete("/things/t1/principals")
        .header(PRINCIPAL, &arn)
        .ok();
    api.delete("/things/t1/principals")
        .header(PRINCIPAL, &arn)
        .ok();
    assert!(names(&api.get("/things/t1/principals").ok(), "principals", None).is_empty());
    api.delete("/things/t1").ok();
    let things = api.get("/principals/things").header(PRINCIPAL, &arn).ok();
    assert_eq!(names(&things, "things", None), ["t2"]);
}

#[test]
fn exclusive_attachments() {
    let api = Api::new();
    let certificate = new_certificate(&api, true);
    let arn = str_of(&certificate, "certificateArn").to_string();
    for thing in ["t1", "t2", "t3"] {
        api.post(&format!("/things/{thing}")).ok();
    }
    api.put("/things/t1/principals")
        .header(PRINCIPAL, &arn)
        .query("thingPrincipalType", "EXCLUSIVE_THING")
        .ok();
    api.put("/things/t2/principals")
        .header(PRINCIPAL, &arn)
        .fails(400, "InvalidRequestException");
    api.delete("/things/t1/principals")
        .header(PRINCIPAL, &arn)
        .ok();
    api.put("/things/t2/principals")
        .header(PRINCIPAL, &arn)
        .ok();
    api.put("/things/t3/principals")
        .header(PRINCIPAL, &arn)
        .query("thingPrincipalType", "EXCLUSIVE_THING")
        .fails(400, "InvalidRequestException");
    api.put("/things/t3/principals")
        .header(PRINCIPAL, &arn)
        .query("thingPrincipalType", "SOMETIMES")
        .fails(400, "InvalidRequestException");
}

#[test]
fn principal_errors() {
    let api = Api::new();
    api.post("/things/t1").ok();
    let certificate = new_certificate(&api, true);
    let arn = str_of(&certificate, "certificateArn").to_string();
    let missing = format!("arn:aws:iot:us-east-1:000000000000:cert/{}", "a".repeat(64));
    api.put("/things/t1/principals")
        .fails(400, "InvalidRequestException");
    api.put("/things/t1/principals")
        .header(PRINCIPAL, "arn:aws:iot:us-east-1:000000000000:thing/t1")
        .fails(400, "InvalidRequestException");
    api.put("/things/t1/principals")
        .header(PRINCIPAL, "us-east-1:cognito-identity")
        .fails(400, "InvalidRequestException");
    api.put("/things/t1/principals")
        .header(PRINCIPAL, &missing)
        .fails(404, "ResourceNotFoundException");
    api.put("/things/missing/principals")
        .header(PRINCIPAL, &arn)
        .fails(404, "ResourceNotFoundException");
    api.delete("/things/missing/principals")
        .header(PRINCIPAL, &arn)
        .fails(404, "ResourceNotFoundException");
    api.get("/things/missing/principals")
        .fails(404, "ResourceNotFoundException");
    api.get("/principals/things")
        .header(PRINCIPAL, &missing)
        .fails(404, "ResourceNotFoundException");
    api.get("/principals/things")
        .fails(400, "InvalidRequestException");
    api.get("/things/t1/principals")
        .query("nextToken", "v1.zzz")
        .fails(400, "InvalidRequestException");
    api.put("/things/t1/principals")
        .header(
            PRINCIPAL,
            &format!("arn:aws:iot:eu-west-1:000000000000:cert/{}", "a".repeat(64)),
        )
        .fails(404, "ResourceNotFoundException");
}
