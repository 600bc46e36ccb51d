"""CSV import and export of customers: crm/imports/ (reading, mapping, checking, writing, services), its API
and dashboard pages."""

import csv
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError

from crm.imports import reading, selectors, writing
from crm.models import AuditLog, Customer, CustomerSource, ImportJob, ImportStatus
from crm.tasks import import_customers
from privtraffic.events.models import Event
from privtraffic.tenancy.roles import Role
from tests import factories
from tests.helpers import api_error
from tests.isolation import assert_api_isolated, assert_dashboard_isolated, brand_routes

pytestmark = pytest.mark.django_db

IMPORT_URL = "/api/v1/customers/import/"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """Run what the code queues after commit (the import task, relays) like the eager embedded default."""

    def _run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return _run


def upload(text: str | bytes, name: str = "customers.csv", encoding: str = "utf-8") -> SimpleUploadedFile:
    data = text if isinstance(text, bytes) else text.encode(encoding)
    return SimpleUploadedFile(name, data, content_type="text/csv")


def post_import(api, run, content, name="customers.csv", **fields):
    body = {"file": upload(content, name), **fields}
    return run(api.post, IMPORT_URL, body, format="multipart")


def job_of(response) -> dict:
    assert response.status_code == 202, response.content
    return response.json()


def import_ok(api, run, content, **fields) -> dict:
    job = job_of(post_import(api, run, content, **fields))
    return api.get(f"/api/v1/imports/{job['id']}/").json()


# --- files, encodings, delimiters ------------------------------------------------------------


def test_utf8_import_creates_customers(brand, api, run, settings):
    content = "name,email,phone,consent_chat\nLi Wei,LI@Example.test,+86 138 0013 8000,yes\nAnna,anna@example.test,,no\n"
    response = post_import(api, run, content, name="spring-fair.csv")
    queued = job_of(response)
    assert queued["status"] == "pending" and queued["total_rows"] == 2
    assert response["Location"] == f"/api/v1/imports/{queued['id']}/"
    job = api.get(f"/api/v1/imports/{queued['id']}/").json()
    assert (job["status"], job["created_count"], job["updated_count"], job["skipped_count"]) == ("done", 2, 0, 0)
    assert (job["processed_rows"], job["progress_percent"], job["errors"]) == (2, 100, [])
    li = Customer.objects.get(brand=brand, email="li@example.test")
    assert (li.name, li.phone, li.source, li.source_ref) == ("Li Wei", "+8613800138000", CustomerSource.IMPORT,
                                                              "spring-fair.csv")
    assert li.consent_chat and li.consent_chat_at is not None and not li.consent_promotions
    assert Event.objects.filter(brand=brand, type="customer.created").count() == 2
    assert not Event.objects.filter(brand=brand, relayed_at__isnull=True).exists()  # relayed after commit
    audit = AuditLog.objects.get(brand=brand, action="customers.imported")
    assert audit.detail["created"] == 2 and audit.actor_label.startswith("api_key:")
    assert not ImportJob.objects.get(pk=job["id"]).file  # the uploaded personal data is not kept
    assert not any((settings.MEDIA_ROOT / "imports").iterdir())


def test_utf8_with_bom(brand, api, run):
    job = import_ok(api, run, "\ufeffname,email\nBom Person,bom@example.test\n")
    assert job["created_count"] == 1
    assert Customer.objects.get(brand=brand).name == "Bom Person"


def test_gb18030_with_chinese_headers_and_names(brand, api, run):
    content = "姓名,手机,邮箱\n张三,+8613800138000,zhang@example.test\n李四,+8613900139000,\n"
    job = import_ok(api, run, content.encode("gb18030"))
    assert job["created_count"] == 2
    assert job["mapping"] == {"姓名": "name", "手机": "phone", "邮箱": "email"}
    assert set(Customer.objects.filter(brand=brand).values_list("name", flat=True)) == {"张三", "李四"}


# Real files as spreadsheets save them, byte for byte: the encoding is detected (charset-normalizer), never guessed.
ENCODED_FILES = {
    "utf-8": (b"name,email\nM\xc3\xbcller Fran\xc3\xa7oise,mf@example.test\n", "Müller Françoise"),
    "utf-8 with BOM": (b"\xef\xbb\xbfname,email\nM\xc3\xbcller Fran\xc3\xa7oise,mf@example.test\n", "Müller Françoise"),
    "gb18030": (b"\xd0\xd5\xc3\xfb,\xd3\xca\xcf\xe4\n\xd5\xc5\xc8\xfd,mf@example.test\n", "张三"),
    "gbk": (b"name,email\n\xcd\xf5\xb7\xbc,mf@example.test\n", "王芳"),
    "latin-1": (b"name,email\nM\xfcller Fran\xe7oise,mf@example.test\n", "Müller Françoise"),
    "cp1252": (b"name,email\nJos\xe9 \x93Pepe\x94 N\xfa\xf1ez,mf@example.test\n", "José “Pepe” Núñez"),
    "utf-16-le with BOM": (b"\xff\xfen\x00a\x00m\x00e\x00,\x00e\x00m\x00a\x00i\x00l\x00\n\x00M\x00\xfc\x00l\x00l\x00e"
                           b"\x00r\x00,\x00m\x00f\x00@\x00e\x00x\x00.\x00t\x00e\x00s\x00t\x00\n\x00", "Müller"),
    "utf-16-be with BOM": (b"\xfe\xff\x00n\x00a\x00m\x00e\x00,\x00e\x00m\x00a\x00i\x00l\x00\n_ N\t\x00,\x00m\x00f"
                           b"\x00@\x00e\x00x\x00.\x00t\x00e\x00s\x00t\x00\n", "张三"),
}


@pytest.mark.parametrize("content, name", ENCODED_FILES.values(), ids=ENCODED_FILES.keys())
def test_every_supported_encoding_reads_right(brand, api, run, content, name):
    job = import_ok(api, run, content)
    assert (job["status"], job["created_count"], job["errors"]) == ("done", 1, [])
    assert Customer.objects.get(brand=brand).name == name


def test_latin1_is_not_read_as_gb18030(brand, api, run):
    """The finding: "Müller Françoise" in Latin-1 was stored as "M黮ler Fran鏾ise"."""
    rows = b"".join(b"M\xfcller Fran\xe7oise %d,m%d@example.test\n" % (i, i) for i in range(50))
    assert import_ok(api, run, b"name,email\n" + rows)["created_count"] == 50
    assert Customer.objects.get(email="m7@example.test").name == "Müller Françoise 7"


def nul_after_8kb() -> bytes:
    good = b"".join(b"Person %d,p%d@example.test\n" % (i, i) for i in range(400))  # rows 2..401, > 8 KB
    assert len(good) > 8192
    return b"name,email\n" + good + b"Bad\x00Byte,bad@example.test\nLast,last@example.test\n"  # rows 402, 403


def test_nul_byte_after_8kb_is_a_row_error_before_the_job_starts(brand, api, run):
    error = api_error(post_import(api, run, nul_after_8kb()), 400, "invalid_rows")
    assert error["fields"]["rows"] == [
        "Row 402: Column “name” has a NUL byte or a character that cannot be read as UTF-8 text."]
    assert "1 row is not valid" in error["message"]
    assert not ImportJob.objects.exists() and not Customer.objects.exists()


def test_skip_invalid_skips_rows_with_bad_bytes_and_imports_the_rest(brand, api, run):
    job = import_ok(api, run, nul_after_8kb(), skip_invalid="true")
    assert (job["status"], job["created_count"], job["skipped_count"]) == ("done", 401, 1)
    assert [e["row"] for e in job["errors"]] == [402] and "NUL byte" in job["errors"][0]["message"]
    assert Customer.objects.filter(brand=brand).count() == 401
    assert Customer.objects.filter(email="last@example.test").exists()
    assert not Customer.objects.filter(email="bad@example.test").exists()


def test_undecodable_bytes_are_errors_of_their_rows(brand, api, run):
    content = (b"name,email,notes\nM\xc3\xbcller,m@example.test,ok\nZo\xc3\xab,z@example.test,\n"
               b"Jos\xff,j@example.test,\nAnn,a@example.test,caf\xe9 au lait\n")
    error = api_error(post_import(api, run, content), 400, "invalid_rows")
    assert error["fields"]["rows"] == [
        "Row 4: Column “name” has a NUL byte or a character that cannot be read as UTF-8 text.",
        "Row 5: Column “notes” has a NUL byte or a character that cannot be read as UTF-8 text."]
    job = import_ok(api, run, content, skip_invalid="true")
    assert (job["created_count"], job["skipped_count"]) == (2, 2)
    assert set(Customer.objects.values_list("name", flat=True)) == {"Müller", "Zoë"}


def test_a_job_reads_its_file_with_the_encoding_found_at_upload(brand, api, monkeypatch):
    content = ENCODED_FILES["latin-1"][0]
    queued = job_of(api.post(IMPORT_URL, {"file": upload(content)}, format="multipart"))
    stored = ImportJob.objects.get(pk=queued["id"])
    assert stored.options["encoding"] == "cp1252"
    monkeypatch.setattr(reading, "_detect_encoding", lambda data: pytest.fail("detected again"))
    import_customers(brand.pk, stored.pk)
    assert Customer.objects.get(brand=brand).name == "Müller Françoise"


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_semicolon_and_tab_delimiters(brand, api, run, delimiter):
    rows = [["name", "email", "phone"], ["Müller, Hans", "hans@example.test", "+4915112345678"],
            ["Zoe", "zoe@example.test", ""]]
    content = "\n".join(delimiter.join(r) for r in rows) + "\n"
    assert import_ok(api, run, content)["created_count"] == 2
    assert Customer.objects.get(email="hans@example.test").name == "Müller, Hans"


def test_blank_lines_are_skipped_but_keep_their_row_number(brand, api, run):
    response = post_import(api, run, "name,email\nA,a@example.test\n\n,,\nB,not-an-email\n")
    error = api_error(response, 400, "invalid_rows")
    assert error["fields"]["rows"] == ["Row 5: email: Enter a valid email address."]


def test_export_style_quoted_cells_and_crlf(brand, api, run):
    content = 'name,email\r\n"Smith, ""Jo""",jo@example.test\r\n"\'=Formula",f@example.test\r\n'
    assert import_ok(api, run, content)["created_count"] == 2
    assert Customer.objects.get(email="jo@example.test").name == 'Smith, "Jo"'
    assert Customer.objects.get(email="f@example.test").name == "=Formula"  # the export's escape is undone


# --- mapping ---------------------------------------------------------------------------------


def test_explicit_mapping_and_ignored_columns(brand, api, run):
    store = factories.make_store(brand, "Shanghai IFC")
    content = ("Full Name,E-Mail Address,Mobile,Shop,Opt in,Notes\n"
               "Wang Fang,wang@example.test,+8613700137000,shanghai ifc,1,VIP\n")
    mapping = {"Full Name": "name", "E-Mail Address": "email", "Mobile": "phone", "Shop": "home_store",
               "Opt in": "consent_promotions", "Notes": "ignore"}
    job = import_ok(api, run, content, mapping=json.dumps(mapping))
    assert job["created_count"] == 1 and job["mapping"] == {k: v for k, v in mapping.items() if v != "ignore"}
    wang = Customer.objects.get(brand=brand)
    assert (wang.phone, wang.home_store, wang.consent_promotions, wang.consent_chat) == (
        "+8613700137000", store, True, False)


def test_mapping_leaves_unnamed_columns_out(brand, api, run):
    content = "name,email,phone\nA,a@example.test,+8613700137000\n"
    import_ok(api, run, content, mapping=json.dumps({"name": "name", "email": "email"}))
    assert Customer.objects.get(brand=brand).phone == ""


@pytest.mark.parametrize("mapping, expected", [
    ("{not json", "JSON"),
    (json.dumps(["name"]), "object"),
    (json.dumps({"Nope": "name", "email": "email"}), "no column"),
    (json.dumps({"name": "name", "email": "salary"}), "not a field"),
    (json.dumps({"name": "name", "email": "email", "phone": "email"}), "Only one column"),
    (json.dumps({"name": "name"}), "email or phone"),
])
def test_bad_mapping_is_400(brand, api, run, mapping, expected):
    response = post_import(api, run, "name,email,phone\nA,a@example.test,\n", mapping=mapping)
    error = api_error(response, 400, "invalid_mapping")
    assert expected in " ".join(error["fields"]["mapping"])
    assert not ImportJob.objects.exists() and not Customer.objects.exists()


# --- rows: all or nothing, skipping ----------------------------------------------------------


BAD_ROWS = ("name,email,phone,consent_chat\n"
            "Good One,good1@example.test,,\n"          # row 2
            "Bad Email,not-an-email,,\n"                # row 3
            ",noname@example.test,,\n"                  # row 4
            "Bad Phone,,12345,\n"                       # row 5
            "No Contact,,,\n"                           # row 6
            "Bad Consent,consent@example.test,,maybe\n"  # row 7
            "Good Two,,+8613800138000,true\n")          # row 8


def test_any_invalid_row_imports_nothing_and_lists_every_row(brand, api, run):
    error = api_error(post_import(api, run, BAD_ROWS), 400, "invalid_rows")
    assert error["fields"]["rows"] == [
        "Row 3: email: Enter a valid email address.",
        "Row 4: name: This field is required.",
        "Row 5: phone: Not a valid international phone number.",
        "Row 6: email: Give an email or a phone number.",
        "Row 7: chat consent: Write yes or no (or leave it empty).",
    ]
    assert "5 rows are not valid" in error["message"] and "header is row 1" in error["message"]
    assert not Customer.objects.exists() and not ImportJob.objects.exists() and not Event.objects.exists()


def test_skip_invalid_imports_the_rest_and_reports_the_others(brand, api, run):
    job = import_ok(api, run, BAD_ROWS, skip_invalid="true")
    assert (job["status"], job["created_count"], job["skipped_count"], job["processed_rows"]) == ("done", 2, 5, 7)
    assert {e["row"] for e in job["errors"]} == {3, 4, 5, 6, 7}
    assert job["errors"][0] == {"row": 3, "field": "email", "message": "Enter a valid email address.",
                                "text": "Row 3: email: Enter a valid email address."}
    assert set(Customer.objects.values_list("name", flat=True)) == {"Good One", "Good Two"}


def test_unknown_store_is_a_row_error(brand, api, run):
    factories.make_store(brand, "Beijing")
    error = api_error(post_import(api, run, "name,email,store\nA,a@example.test,Atlantis\n"), 400, "invalid_rows")
    assert error["fields"]["rows"] == ["Row 2: home store: There is no store called “Atlantis”."]


def test_another_brands_store_is_unknown(brand, other_brand, api, run):
    foreign = factories.make_store(other_brand, "Their Store")
    for value in (foreign.name, str(foreign.pk)):
        api_error(post_import(api, run, f"name,email,store\nA,a@example.test,{value}\n"), 400, "invalid_rows")


# --- duplicates ------------------------------------------------------------------------------


def test_existing_email_updates_instead_of_duplicating(brand, api, run):
    store = factories.make_store(brand, "Chengdu")
    existing = factories.make_customer(brand, "Old Name", email="known@example.test", phone="+8613800138000",
                                       consent_chat=True)
    content = "name,email,phone,store,consent_chat,consent_promotions\nNew Name,KNOWN@example.test,,Chengdu,,yes\n"
    job = import_ok(api, run, content)
    assert (job["created_count"], job["updated_count"]) == (0, 1)
    existing.refresh_from_db()
    # Blank cells change nothing: the phone and the chat consent stay.
    assert (existing.name, existing.phone, existing.home_store, existing.consent_chat) == (
        "New Name", "+8613800138000", store, True)
    assert existing.consent_promotions and existing.consent_promotions_at is not None
    assert existing.source == CustomerSource.API  # where they first came from does not change
    assert Customer.objects.filter(brand=brand).count() == 1
    assert Event.objects.filter(brand=brand, type="customer.updated", payload__customer_id=existing.pk).exists()


def test_existing_phone_updates_instead_of_duplicating(brand, api, run):
    existing = factories.make_customer(brand, "Phone Only", email="", phone="+8613800138000")
    job = import_ok(api, run, "name,email,phone\nPhone Person,new@example.test,+86 138 0013 8000\n")
    assert (job["created_count"], job["updated_count"]) == (0, 1)
    existing.refresh_from_db()
    assert (existing.name, existing.email) == ("Phone Person", "new@example.test")


def test_same_email_in_another_brand_is_a_new_customer(brand, other_brand, api, run):
    theirs = factories.make_customer(other_brand, "Theirs", email="shared@example.test")
    job = import_ok(api, run, "name,email\nOurs,shared@example.test\n")
    assert job["created_count"] == 1
    theirs.refresh_from_db()
    assert theirs.name == "Theirs"


def test_withdrawn_consent_is_recorded(brand, api, run):
    existing = factories.make_customer(brand, email="c@example.test", consent_chat=True, consent_promotions=True)
    import_ok(api, run, "name,email,consent_chat,consent_promotions\nC,c@example.test,no,是\n")
    existing.refresh_from_db()
    assert not existing.consent_chat and existing.consent_promotions


def test_tags_column_creates_unknown_tags_and_adds_them(brand, other_brand, api, run):
    from crm.models import Tag
    from crm.profile.services import customer_tags_set, tag_create

    vip = tag_create(brand=brand, actor=factories.system(brand), name="vip")
    existing = factories.make_customer(brand, "Old", email="old@example.test")
    customer_tags_set(customer=existing, actor=factories.system(brand), tags=["vip"])
    content = ('name,email,tags\n"New","new@example.test","oily-skin, vip"\n'
               '"Old","old@example.test","sensitive;oily-skin"\n"Plain","plain@example.test",\n')
    job = import_ok(api, run, content)
    assert (job["created_count"], job["updated_count"]) == (2, 1), job
    new = Customer.objects.get(brand=brand, email="new@example.test")
    assert sorted(new.tags.values_list("name", flat=True)) == ["oily-skin", "vip"]
    # An import adds tags and never removes one (blank cells erase nothing).
    assert sorted(existing.tags.values_list("name", flat=True)) == ["oily-skin", "sensitive", "vip"]
    assert not Customer.objects.get(brand=brand, email="plain@example.test").tags.exists()
    assert sorted(Tag.objects.filter(brand=brand).values_list("name", flat=True)) == ["oily-skin", "sensitive", "vip"]
    assert Tag.objects.get(brand=brand, name="vip") == vip
    assert not Tag.objects.filter(brand=other_brand).exists()
    # Gaining tags is a change integrators hear about.
    assert Event.objects.filter(brand=brand, type="customer.updated", payload__customer_id=existing.pk).exists()


def test_bad_tags_are_row_errors(brand, api, run):
    from crm.models import Tag

    long_name = "x" * 51
    response = post_import(api, run, f"name,email,tags\nA,a@example.test,{long_name}\n"
                                     f"B,b@example.test,{'|'.join(f't{i}' for i in range(51))}\n")
    rows = api_error(response, 400, "invalid_rows")["fields"]["rows"]
    assert rows[0].startswith("Row 2: tags: A tag name has at most 50 characters")
    assert rows[1].startswith("Row 3: tags: A customer can have at most 50 tags")
    assert not Customer.objects.exists() and not Tag.objects.exists()


def test_unchanged_rows_record_no_event(brand, api, run):
    factories.make_customer(brand, "Same", email="same@example.test")
    job = import_ok(api, run, "name,email\nSame,same@example.test\n")
    assert job["updated_count"] == 1
    assert not Event.objects.filter(type="customer.updated").exists()


@pytest.mark.parametrize("content, message", [
    ("name,email\nA,dup@example.test\nB,DUP@example.test\n", "Row 3: email: The same email is already in row 2."),
    ("name,email,phone\nA,a@example.test,+8613800138000\nB,b@example.test,+86 13800138000\n",
     "Row 3: phone: The same phone is already in row 2."),
])
def test_the_same_person_twice_in_a_file_is_an_error(brand, api, run, content, message):
    error = api_error(post_import(api, run, content), 400, "invalid_rows")
    assert error["fields"]["rows"] == [message]
    job = import_ok(api, run, content, skip_invalid="true")
    assert (job["created_count"], job["skipped_count"]) == (1, 1)


def test_two_rows_reaching_the_same_customer_is_an_error(brand, api, run):
    factories.make_customer(brand, email="x@example.test", phone="+8613800138000")
    content = "name,email,phone\nA,x@example.test,\nB,,+8613800138000\n"
    error = api_error(post_import(api, run, content), 400, "invalid_rows")
    assert error["fields"]["rows"] == ["Row 3: phone: This is the same customer as row 2."]


def test_email_and_phone_of_two_different_customers_is_an_error(brand, api, run):
    factories.make_customer(brand, email="one@example.test")
    factories.make_customer(brand, email="two@example.test", phone="+8613800138000")
    error = api_error(post_import(api, run, "name,email,phone\nA,one@example.test,+8613800138000\n"), 400,
                      "invalid_rows")
    assert error["fields"]["rows"] == ["Row 2: phone: The email and the phone belong to two different customers."]


# --- bad files -------------------------------------------------------------------------------


@pytest.mark.parametrize("content, code, words", [
    (b"", "file_empty", "empty"),
    (b"\xef\xbb\xbf  \n", "file_empty", "empty"),
    (b"n\xffame,email\nM\xc3\xbcller,m@example.test\nZo\xc3\xab,z@example.test\n", "file_encoding", "Row 1"),
    (b"\n\nname,email\nA,a@example.test\n", "file_no_header", "Row 1 is empty"),
    (b"Li Wei,li@example.test,+8613800138000\nAnna,anna@example.test,\n", "file_no_header", "looks like a customer"),
    (b"name,email,name\nA,a@example.test,B\n", "file_no_header", "twice"),
    (b"email,phone\na@example.test,\n", "file_missing_columns", "name column"),
    (b"name,city\nA,Paris\n", "file_missing_columns", "email or phone"),
    (b"name,email\n", "file_no_rows", "no customers"),
    (b"name,email\n\n\n", "file_no_rows", "no customers"),
    (b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 64, "file_not_csv", "Excel"),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "file_not_csv", "not a CSV"),
    (b"name,email\n\x00\x01\x02\x03", "file_not_csv", "not a CSV"),
    (b'name,email\n"' + b"x" * 200_000 + b"\n", "file_not_csv", "cannot be read as CSV"),
])
def test_bad_files_are_400_and_write_nothing(brand, api, run, content, code, words):
    error = api_error(post_import(api, run, content), 400, code)
    assert words in error["message"] and error["fields"]["file"] == [error["message"]]
    assert not ImportJob.objects.exists() and not Customer.objects.exists()


def test_more_than_100000_rows_is_400(brand, api, run):
    content = b"name,email\n" + b"A,a@example.test\n" * (reading.MAX_ROWS + 1)
    error = api_error(post_import(api, run, content), 400, "file_too_many_rows")
    assert "100,000" in error["message"]
    assert not ImportJob.objects.exists()


def test_exactly_100000_rows_is_read(brand):
    content = b"name,email\n" + b"A,a@example.test\n" * reading.MAX_ROWS
    assert len(reading.import_file_read(data=content, name="big.csv").rows) == reading.MAX_ROWS


def test_missing_file_is_400(brand, api):
    error = api_error(api.post(IMPORT_URL, {"skip_invalid": "true"}, format="multipart"), 400, "invalid")
    assert "file" in error["fields"]


def test_bad_skip_invalid_is_400(brand, api, run):
    error = api_error(post_import(api, run, "name,email\nA,a@example.test\n", skip_invalid="perhaps"), 400, "invalid")
    assert "skip_invalid" in error["fields"]


# --- the job: progress, running twice, failing as a whole ------------------------------------


def test_import_list_and_progress_endpoint(brand, other_brand, api, run):
    job = import_ok(api, run, "name,email\nA,a@example.test\n")
    assert set(job) >= {"id", "status", "phase", "total_rows", "processed_rows", "progress_percent", "created_count",
                        "updated_count", "skipped_count", "errors", "created_at", "finished_at"}
    assert job["phase"] == "finished" and job["finished_at"]
    listed = api.get(IMPORT_URL).json()["results"]
    assert [j["id"] for j in listed] == [job["id"]]
    foreign = ImportJob.objects.create(brand=other_brand, file="imports/x.csv", original_name="x.csv")
    api_error(api.get(f"/api/v1/imports/{foreign.pk}/"), 404, "not_found")
    api_error(api.get("/api/v1/imports/999999/"), 404, "not_found")


def test_progress_is_read_from_the_cache_while_running(brand):
    from django.core.cache import cache

    job = ImportJob.objects.create(brand=brand, file="imports/x.csv", status=ImportStatus.RUNNING, total_rows=2000)
    cache.set(writing.progress_key(job.pk), {"phase": "writing", "processed": 500, "created": 400, "updated": 100,
                                                "skipped": 0})
    live = selectors.import_job_get(brand=brand, import_id=job.pk)
    assert (live.phase, live.processed_rows, live.created_count, live.progress_percent) == ("writing", 500, 400, 25)
    cache.set(writing.progress_key(job.pk), {"phase": "checking", "checked": 1500})
    live = selectors.import_job_get(brand=brand, import_id=job.pk)
    assert (live.phase, live.checked_rows, live.processed_rows) == ("checking", 1500, 0)


def test_progress_is_published_every_batch(brand, api, django_capture_on_commit_callbacks, monkeypatch):
    published = []
    monkeypatch.setattr(writing, "BATCH_SIZE", 2)
    real = writing.progress_publish
    monkeypatch.setattr(writing, "progress_publish", lambda job_id, **v: (published.append(v), real(job_id, **v)))
    rows = "".join(f"P{i},p{i}@example.test\n" for i in range(5))
    with django_capture_on_commit_callbacks(execute=True):
        api.post(IMPORT_URL, {"file": upload("name,email\n" + rows)}, format="multipart")
    writes = [(p["processed"], p["created"]) for p in published if p["phase"] == "writing"]
    assert writes == [(2, 2), (4, 4), (5, 5)]


def test_task_is_safe_to_run_twice(brand, api, run):
    job = import_ok(api, run, "name,email\nA,a@example.test\n")
    assert import_customers(brand.pk, job["id"]) == "done"  # already done: left alone
    assert Customer.objects.count() == 1 and ImportJob.objects.get(pk=job["id"]).created_count == 1
    assert import_customers(brand.pk + 1000, job["id"]) is None  # scoped by brand


def test_a_job_left_running_by_a_dead_worker_starts_over(brand, api):
    # Queued but not yet run (no on_commit execution), then marked running as a crashed worker would leave it.
    response = api.post(IMPORT_URL, {"file": upload("name,email\nA,a@example.test\n")}, format="multipart")
    ImportJob.objects.filter(pk=response.json()["id"]).update(status=ImportStatus.RUNNING)
    assert import_customers(brand.pk, response.json()["id"]) == "done"
    assert Customer.objects.count() == 1


def test_rows_are_checked_again_when_the_task_runs(brand, api):
    content = "name,email,phone\nA,a@example.test,+8613800138000\nB,b@example.test,\n"
    job_id = job_of(api.post(IMPORT_URL, {"file": upload(content)}, format="multipart"))["id"]
    # Between the check and the run, two customers appear that make row 2 ambiguous.
    factories.make_customer(brand, email="a@example.test")
    factories.make_customer(brand, email="other@example.test", phone="+8613800138000")
    assert import_customers(brand.pk, job_id) == "failed"
    job = ImportJob.objects.get(pk=job_id)
    assert [e["row"] for e in job.errors] == [2] and job.created_count == 0
    assert not Customer.objects.filter(email="b@example.test").exists()  # all or nothing


def test_a_failure_while_writing_rolls_everything_back(brand, api, monkeypatch):
    monkeypatch.setattr(writing, "BATCH_SIZE", 2)
    rows = "".join(f"P{i},p{i}@example.test\n" for i in range(5))
    job_id = job_of(api.post(IMPORT_URL, {"file": upload("name,email\n" + rows)}, format="multipart"))["id"]
    calls = []
    real = Event.objects.bulk_create

    def flaky(objs, *args, **kwargs):
        calls.append(len(objs))
        if len(calls) == 2:
            raise IntegrityError("duplicate key value violates unique constraint")
        return real(objs, *args, **kwargs)

    monkeypatch.setattr(Event.objects, "bulk_create", flaky)
    assert import_customers(brand.pk, job_id) == "failed"
    job = ImportJob.objects.get(pk=job_id)
    assert "nothing was imported" in job.errors[0]["message"] and job.created_count == 0
    assert not Customer.objects.exists() and not Event.objects.exists()


def test_import_of_many_rows_in_batches(brand, api, run):
    existing = factories.make_customer(brand, "Old", email="p7@example.test")
    rows = "".join(f"Person {i},p{i}@example.test,+86138{i:08d}\n" for i in range(1200))
    job = import_ok(api, run, "name,email,phone\n" + rows)
    assert (job["created_count"], job["updated_count"], job["processed_rows"]) == (1199, 1, 1200)
    existing.refresh_from_db()
    assert existing.name == "Person 7"
    assert Customer.objects.filter(brand=brand).count() == 1200


# --- export ----------------------------------------------------------------------------------


def read_csv(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


def test_export_csv_content_and_brand_isolation(brand, other_brand, api):
    store = factories.make_store(brand, "Hangzhou")
    rep = factories.make_member(brand, Role.REP, store=store)
    ours = factories.make_customer(brand, "张三", email="zhang@example.test", phone="+8613800138000",
                                   home_store=store, assigned_rep=rep, consent_chat=True)
    factories.make_customer(brand, "=HYPERLINK(\"http://evil\")", email="evil@example.test")
    factories.make_customer(other_brand, "Not Ours", email="theirs@example.test")
    rows = read_csv(api.get("/api/v1/customers/export.csv"))
    assert rows[0] == ["id", "name", "email", "phone", "home_store", "assigned_rep", "consent_chat",
                       "consent_promotions", "source", "created_at"]
    assert rows[1][:9] == [str(ours.pk), "张三", "zhang@example.test", "+8613800138000", "Hangzhou", rep.user.email,
                           "yes", "no", "api"]
    assert rows[2][1] == "'=HYPERLINK(\"http://evil\")"
    assert len(rows) == 3 and "theirs@example.test" not in str(rows)
    assert AuditLog.objects.filter(brand=brand, action="customers.exported").exists()


def test_export_search_and_erased_left_out(brand, api):
    from crm.privacy.services import customer_erase

    factories.make_customer(brand, "Alice", email="alice@example.test")
    factories.make_customer(brand, "Bob", email="bob@example.test")
    customer_erase(customer=factories.make_customer(brand, "Alicia", email="alicia@example.test"),
                   actor=factories.system(brand))
    assert [r[1] for r in read_csv(api.get("/api/v1/customers/export.csv?search=ali"))[1:]] == ["Alice"]
    assert len(read_csv(api.get("/api/v1/customers/export.csv", HTTP_ACCEPT="text/csv"))) == 3


def test_export_can_be_imported_back(brand, api, run):
    factories.make_customer(brand, "Round Trip", email="rt@example.test", phone="+8613800138000", consent_chat=True)
    exported = b"".join(api.get("/api/v1/customers/export.csv").streaming_content)
    job = import_ok(api, run, exported, name="export.csv")
    assert (job["created_count"], job["updated_count"], job["skipped_count"]) == (0, 1, 0)
    assert Customer.objects.get(brand=brand).consent_chat is True


def test_export_without_key_is_401(db, client):
    assert client.get("/api/v1/customers/export.csv").status_code == 401


# --- dashboard -------------------------------------------------------------------------------


def test_dashboard_upload_mapping_progress_flow(brand, login, run):
    client = login(factories.owner_of(brand))
    page = client.get(f"/b/{brand.slug}/customers/import/")
    assert page.status_code == 200 and b"Upload" in page.content
    content = "客户姓名;Mobile;Remarks\n王芳;+8613700137000;likes tea\n赵六;+8613600136000;\n".encode("gb18030")
    response = client.post(f"/b/{brand.slug}/customers/import/", {"step": "upload", "file": upload(content)})
    assert response.status_code == 302
    draft = ImportJob.objects.get(brand=brand)
    assert response["Location"] == f"/b/{brand.slug}/customers/import/?import={draft.pk}"
    mapping_page = client.get(response["Location"])
    html = mapping_page.content.decode()
    assert mapping_page.status_code == 200 and "客户姓名" in html and "王芳" in html and "GB18030" in html
    assert 'value="name" selected' in html and 'value="phone" selected' in html  # guessed from the header
    assert not Customer.objects.exists()

    done = run(client.post, f"/b/{brand.slug}/customers/import/",
               {"step": "map", "import": draft.pk, "col_0": "name", "col_1": "phone", "col_2": "ignore"})
    assert done.status_code == 302 and done["Location"] == f"/b/{brand.slug}/customers/imports/{draft.pk}/"
    progress = client.get(done["Location"])
    html = progress.content.decode()
    assert progress.status_code == 200 and 'http-equiv="refresh"' not in html
    assert 'data-count="created">2<' in html and "2 / 2" in html
    assert set(Customer.objects.values_list("name", flat=True)) == {"王芳", "赵六"}
    # The mapping step of a started import leads to its progress page.
    assert client.get(response["Location"])["Location"] == done["Location"]


def test_dashboard_progress_page_refreshes_until_done(brand, login):
    client = login(factories.owner_of(brand))
    job = ImportJob.objects.create(brand=brand, file="imports/x.csv", original_name="x.csv", total_rows=10,
                                   status=ImportStatus.RUNNING, errors=[{"row": 4, "field": "email", "message": "Bad."}])
    html = client.get(f"/b/{brand.slug}/customers/imports/{job.pk}/").content.decode()
    assert '<meta http-equiv="refresh" content="2">' in html and "Row 4: email: Bad." in html


def test_dashboard_invalid_rows_then_skip_invalid(brand, login, run):
    client = login(factories.owner_of(brand))
    client.post(f"/b/{brand.slug}/customers/import/", {"step": "upload", "file": upload(BAD_ROWS)})
    draft = ImportJob.objects.get(brand=brand)
    choice = {"step": "map", "import": draft.pk, "col_0": "name", "col_1": "email", "col_2": "phone",
              "col_3": "consent_chat"}
    response = run(client.post, f"/b/{brand.slug}/customers/import/", choice)
    html = response.content.decode()
    assert response.status_code == 400 and "Row 3: email: Enter a valid email address." in html
    assert "nothing was imported" in html and not Customer.objects.exists()
    response = run(client.post, f"/b/{brand.slug}/customers/import/", {**choice, "skip_invalid": "on"})
    assert response.status_code == 302
    job = ImportJob.objects.get(pk=draft.pk)
    assert (job.status, job.created_count, job.skipped_count) == ("done", 2, 5)
    assert "Row 6: email: Give an email or a phone number." in client.get(response["Location"]).content.decode()


def test_dashboard_lists_rows_with_bad_bytes_and_skip_invalid_imports_the_rest(brand, login, run):
    client = login(factories.owner_of(brand))
    response = client.post(f"/b/{brand.slug}/customers/import/", {"step": "upload", "file": upload(nul_after_8kb())})
    assert response.status_code == 302
    draft = ImportJob.objects.get(brand=brand)
    choice = {"step": "map", "import": draft.pk, "col_0": "name", "col_1": "email"}
    response = run(client.post, f"/b/{brand.slug}/customers/import/", choice)
    html = response.content.decode()
    assert response.status_code == 400 and not Customer.objects.exists()
    assert "Row 402: Column “name” has a NUL byte or a character that cannot be read as UTF-8 text." in html
    response = run(client.post, f"/b/{brand.slug}/customers/import/", {**choice, "skip_invalid": "on"})
    assert response.status_code == 302
    job = ImportJob.objects.get(pk=draft.pk)
    assert (job.status, job.created_count, job.skipped_count) == ("done", 401, 1)
    assert "Row 402: Column “name” has a NUL byte" in client.get(response["Location"]).content.decode()


def test_dashboard_shows_the_detected_encoding(brand, login):
    client = login(factories.owner_of(brand))
    response = client.post(f"/b/{brand.slug}/customers/import/",
                           {"step": "upload", "file": upload(ENCODED_FILES["latin-1"][0])})
    html = client.get(response["Location"]).content.decode()
    assert "Windows-1252 (Latin-1)" in html and "Müller Françoise" in html


def test_dashboard_mapping_errors(brand, login):
    client = login(factories.owner_of(brand))
    client.post(f"/b/{brand.slug}/customers/import/", {"step": "upload", "file": upload("a,b\nx,y@example.test\n")})
    draft = ImportJob.objects.get(brand=brand)
    response = client.post(f"/b/{brand.slug}/customers/import/",
                           {"step": "map", "import": draft.pk, "col_0": "name", "col_1": "name"})
    assert response.status_code == 400 and "Only one column can go to name" in response.content.decode()


def test_dashboard_bad_file_is_400_and_creates_nothing(brand, login):
    client = login(factories.owner_of(brand))
    response = client.post(f"/b/{brand.slug}/customers/import/",
                           {"step": "upload", "file": upload(b"PK\x03\x04" + b"\x00" * 20, "list.xlsx")})
    assert response.status_code == 400 and "Excel workbook" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_dashboard_other_brands_import_is_404(brand, other_brand, login):
    client = login(factories.owner_of(brand))
    foreign = ImportJob.objects.create(brand=other_brand, file="imports/x.csv", options={"draft": True})
    assert client.get(f"/b/{brand.slug}/customers/imports/{foreign.pk}/").status_code == 404
    assert client.get(f"/b/{brand.slug}/customers/import/?import={foreign.pk}").status_code == 404
    assert client.get(f"/b/{brand.slug}/customers/import/?import=nope").status_code == 404
    response = client.post(f"/b/{brand.slug}/customers/import/", {"step": "map", "import": foreign.pk})
    assert response.status_code == 404


def test_dashboard_export(brand, other_brand, login):
    client = login(factories.owner_of(brand))
    factories.make_customer(brand, "Mine", email="mine@example.test")
    factories.make_customer(brand, "Also Mine", email="also@example.test")
    factories.make_customer(other_brand, "Theirs", email="theirs@example.test")
    response = client.get(f"/b/{brand.slug}/customers/export.csv")
    assert "attachment" in response["Content-Disposition"]
    rows = read_csv(response)
    assert sorted(r[1] for r in rows[1:]) == ["Also Mine", "Mine"]
    assert [r[1] for r in read_csv(client.get(f"/b/{brand.slug}/customers/export.csv?q=also"))[1:]] == ["Also Mine"]
    assert client.get(f"/b/{other_brand.slug}/customers/export.csv").status_code == 404


@pytest.mark.parametrize("role", [Role.REP, Role.STORE_MANAGER])
def test_store_roles_cannot_import_or_export(brand, login, role):
    client = login(factories.make_member(brand, role))
    assert client.get(f"/b/{brand.slug}/customers/import/").status_code == 403
    assert client.post(f"/b/{brand.slug}/customers/import/",
                       {"step": "upload", "file": upload("name,email\nA,a@example.test\n")}).status_code == 403
    assert client.get(f"/b/{brand.slug}/customers/export.csv").status_code == 403
    assert not ImportJob.objects.exists()


def test_marketer_can_import(brand, login):
    client = login(factories.make_member(brand, Role.MARKETER))
    assert client.get(f"/b/{brand.slug}/customers/import/").status_code == 200


# --- the routes in the isolation matrix and the schema ---------------------------------------


def test_import_routes_pass_the_isolation_matrix(brand, other_brand, api, client):
    templates = {r.template for r in brand_routes("/")}
    assert {"/api/v1/customers/import/", "/api/v1/imports/<int:import_id>/", "/api/v1/customers/export.csv",
            "/b/<slug:slug>/customers/imports/<int:import_id>/"} <= templates
    assert assert_api_isolated(api, brand, other_brand) >= len(brand_routes("/api/v1/"))
    client.force_login(factories.owner_of(brand).user)
    assert assert_dashboard_isolated(client, brand, other_brand) > 0


def test_schema_documents_the_import(client):
    body = client.get("/api/schema/").content.decode()
    assert "/api/v1/customers/import/" in body and "/api/v1/imports/{import_id}/" in body
    assert "/api/v1/customers/export.csv" in body


@pytest.mark.django_db(transaction=True)
async def test_export_streams_without_buffering_under_asgi(async_client):
    from asgiref.sync import sync_to_async
    from django.db import connections

    def setup():
        brand = factories.make_brand("asgi-export")
        for i in range(1200):
            factories.make_customer(brand, f"Person {i}", email=f"p{i}@example.test")
        return factories.make_api_key(brand)

    key = await sync_to_async(setup)()
    try:
        response = await async_client.get("/api/v1/customers/export.csv", headers={"Authorization": f"Bearer {key}"})
        assert response.status_code == 200 and response.is_async
        chunks = [chunk async for chunk in response.streaming_content]
    finally:
        await sync_to_async(connections.close_all)()  # the sync thread's connection, so the test database can go
    assert len(chunks) == 1 + 3  # the header, then 500 + 500 + 200 rows
    assert b"".join(chunks).decode("utf-8-sig").count("\r\n") == 1201


def test_large_upload_with_idempotency_key_is_accepted_once(api, brand, settings):
    # Past DATA_UPLOAD_MAX_MEMORY_SIZE the body is streamed, never read whole for the key's fingerprint.
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 200
    rows = "\n".join(f"Fan {i},fan{i}@example.test" for i in range(40))
    first = api.post(IMPORT_URL, {"file": upload("name,email\n" + rows)}, format="multipart",
                     HTTP_IDEMPOTENCY_KEY="big-1")
    assert first.status_code == 202, first.content
    again = api.post(IMPORT_URL, {"file": upload("name,email\n" + rows)}, format="multipart",
                     HTTP_IDEMPOTENCY_KEY="big-1")
    assert again.status_code == 202 and again.json() == first.json()
