"""Forms of the CSV import pages: they only parse; the import service decides what is valid."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .mapping import IGNORE, MAPPING_CHOICES


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"), allow_empty_file=True,
        help_text=_("UTF-8, UTF-16, GB18030/GBK or Latin-1; columns separated by commas, semicolons or tabs; "
                    "a header row first; at most 100,000 customers."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,.tsv,text/csv,text/plain"}),
    )


class ImportMappingForm(forms.Form):
    """One choice per column of the file's header (fields col_0, col_1, ...), plus skip_invalid."""

    skip_invalid = forms.BooleanField(
        label=_("Skip invalid rows"), required=False,
        help_text=_("Import the valid rows and list the others. Without this, one invalid row stops the whole import."),
    )

    def __init__(self, *args, header: list[str], mapping: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        self.header = header
        self.columns = []
        for index, column in enumerate(header):
            if not column:
                continue
            name = f"col_{index}"
            self.fields[name] = forms.ChoiceField(label=column, choices=MAPPING_CHOICES,
                                                  initial=mapping.get(column, IGNORE))
            self.columns.append((index, name))
        self.order_fields([name for _index, name in self.columns] + ["skip_invalid"])

    def mapping(self) -> dict[str, str]:
        return {self.header[index]: self.cleaned_data[name] for index, name in self.columns}
