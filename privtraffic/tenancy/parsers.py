"""The API's body parsers (REST_FRAMEWORK["DEFAULT_PARSER_CLASSES"]): DRF's, plus the edge checks.

A JSON body nested deeper than `parsing.JSON_MAX_DEPTH`, or holding a NUL byte or a lone surrogate
(`"\\u0000"`, `"\\ud800"`) in any key or string, is refused with a 400 error object before a view sees
it. Multipart form fields get the same text check; uploaded files are not text and are left alone
(a CSV's bytes are checked by the import itself).
"""

from django.utils.translation import gettext as _
from rest_framework import parsers

from . import parsing


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise parsing.ApplicationError("too_deep", _("The JSON document nests too deeply."),
                                           fields={"body": [_("Nested too deeply.")]})
        return parsing.check_json(data)


class MultiPartParser(parsers.MultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None):
        result = super().parse(stream, media_type, parser_context)
        for key, values in result.data.lists():
            if parsing.bad_text(key) or any(parsing.bad_text(v) for v in values if isinstance(v, str)):
                raise parsing.bad_text_error(key if not parsing.bad_text(key) else "body")
        return result
