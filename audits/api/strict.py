"""Input is checked, not guessed. Query parameters: a bad page size, offset or an empty
filter value gets a 400 naming the parameter, rather than a silently different list.
Bodies: JSON values nothing can store (infinite numbers, lone surrogates) and dates outside
1900-2100 get a 400 naming the field, for every endpoint at once."""

import math
from datetime import date

from django import forms
from django.db import models
from django_filters import fields as filter_fields
from django_filters import rest_framework as filters
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.parsers import JSONParser

MAX_PAGE = 500


class StrictLimitOffsetPagination(LimitOffsetPagination):
    max_limit = MAX_PAGE

    def _whole(self, request, name: str, minimum: int, maximum: int | None) -> int | None:
        raw = request.query_params.get(name)
        if raw is None:
            return None
        whole = raw.isascii() and raw.isdigit() and len(raw) <= 12
        if not whole or int(raw) < minimum or (maximum is not None and int(raw) > maximum):
            bound = f" and at most {maximum}" if maximum is not None else ""
            raise ValidationError({name: [f"must be a whole number of at least {minimum}{bound}"]})
        return int(raw)

    def get_limit(self, request):
        limit = self._whole(request, self.limit_query_param, 1, MAX_PAGE)
        return self.default_limit if limit is None else limit

    def get_offset(self, request):
        return self._whole(request, self.offset_query_param, 0, 10**9) or 0


class WholeNumberField(forms.IntegerField):
    """A whole number some column can hold (a larger one is a 400, not a database error)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", -LARGEST)
        kwargs.setdefault("max_value", LARGEST)
        super().__init__(*args, **kwargs)


@extend_schema_field(OpenApiTypes.INT)
class IdFilter(filters.NumberFilter):
    """A related object named by its id, compared as a number: a missing id and one outside
    the caller's scope give the same answer (an empty list), where a choice of objects
    would say "not a valid choice" for the first and so confirm that the second exists.
    A whole number only: ``?cycle=2.5`` is a 400, never cycle 2."""

    field_class = WholeNumberField


class AllowedChoiceField(filter_fields.ChoiceField):
    """A choice whose refusal lists the values it takes (``?status=finished`` is a 400
    saying which statuses there are), not Django's "Select a valid choice"."""

    what = "value"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = ", ".join(str(value) for value, _ in self.choices if value not in ("", None))
        self.error_messages["invalid_choice"] = (
            f"Unknown {self.what} '%(value)s'. Allowed: {allowed}."
        )


class OrderingChoiceField(AllowedChoiceField):
    what = "ordering"


class AllowedChoiceFilter(filters.ChoiceFilter):
    field_class = AllowedChoiceField


class StrictOrderingFilter(filters.OrderingFilter):
    """``?ordering=`` with the fields it names (``-`` first for descending, several
    separated by commas); an unknown one is a 400 listing them."""

    field_class = OrderingChoiceField


class TrueFalseField(forms.Field):
    """true/false (or 1/0): django-filter's own boolean reads anything else as "no
    filter", so ``?is_active=maybe`` would quietly return every row."""

    VALUES = {"true": True, "1": True, "false": False, "0": False}

    def to_python(self, value):
        if value in (None, ""):
            return None
        if str(value).lower() not in self.VALUES:
            # The value goes in as a parameter: django-filter formats the message with
            # ``%``, so a value holding one would otherwise break it (a 500, not a 400).
            raise forms.ValidationError(
                "Unknown value '%(value)s'. Allowed: true, false.",
                code="invalid",
                params={"value": value},
            )
        return self.VALUES[str(value).lower()]


@extend_schema_field(OpenApiTypes.BOOL)
class TrueFalseFilter(filters.BooleanFilter):
    field_class = TrueFalseField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", forms.TextInput)  # not BooleanWidget: it drops "maybe"
        super().__init__(*args, **kwargs)


WHOLE_NUMBER_FIELDS = (
    models.AutoField,
    models.BigAutoField,
    models.SmallAutoField,
    models.IntegerField,
    models.BigIntegerField,
    models.SmallIntegerField,
    models.PositiveIntegerField,
    models.PositiveBigIntegerField,
    models.PositiveSmallIntegerField,
)


class StrictFilterSet(filters.FilterSet):
    """Every list's filters: ids and counts as whole numbers, choices that name what they
    take, true/false that refuses anything else."""

    FILTER_DEFAULTS = {
        **filters.FilterSet.FILTER_DEFAULTS,
        **{field: {"filter_class": IdFilter} for field in WHOLE_NUMBER_FIELDS},
        models.BooleanField: {"filter_class": TrueFalseFilter},
        models.ForeignKey: {"filter_class": IdFilter},
        models.OneToOneField: {"filter_class": IdFilter},
    }

    @classmethod
    def filter_for_lookup(cls, field, lookup_type):
        filter_class, params = super().filter_for_lookup(field, lookup_type)
        if filter_class is filters.ChoiceFilter:
            filter_class = AllowedChoiceFilter
        return filter_class, params


class StrictFilterBackend(DjangoFilterBackend):
    filterset_base = StrictFilterSet

    def query_parameters(self, view, queryset) -> set[str]:
        """The names this backend reads on ``view``'s list (base.StrictQuery allows these)."""
        filterset_class = self.get_filterset_class(view, queryset)
        return set(filterset_class.base_filters) if filterset_class is not None else set()

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None:
            empty = [
                name
                for name in filterset_class.base_filters
                if name in request.query_params and request.query_params[name].strip() == ""
            ]
            if empty:
                raise ValidationError({name: ["must not be empty"] for name in empty})
        return super().filter_queryset(request, queryset, view)


# --- Request bodies ------------------------------------------------------------------------
# JSON the standard parser accepts but nothing downstream can hold: a number too large for
# a float (1e309 parses as infinity) or a whole number too large for any column or id, a
# lone UTF-16 surrogate ("\ud800" parses to a str that cannot be encoded, so the database
# driver fails), and nesting deep enough to exhaust the stack. They are refused here, once,
# for every endpoint, with the field they are in.
MAX_DEPTH = 32
LARGEST = 2**63 - 1  # the largest whole number any column (or id) holds
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2100, 12, 31)


def _printable(key) -> str:
    return str(key).encode("utf-8", "backslashreplace").decode("utf-8")


def _is_text(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def json_problems(data, path: str = "", depth: int = 0) -> dict[str, list[str]]:
    """Every place in parsed JSON holding a value no field can take, by dotted path."""
    where = path or "non_field_errors"
    if depth > MAX_DEPTH:
        return {where: [f"nested more than {MAX_DEPTH} levels deep"]}
    if isinstance(data, float) and not math.isfinite(data):
        return {where: ["number out of range"]}
    if isinstance(data, int) and not isinstance(data, bool) and not -LARGEST <= data <= LARGEST:
        return {where: ["number out of range"]}
    if isinstance(data, str):
        return {} if _is_text(data) else {where: ["text with an invalid character"]}
    children = ()
    if isinstance(data, dict):
        children = data.items()
    elif isinstance(data, list):
        children = enumerate(data)
    problems: dict[str, list[str]] = {}
    for key, value in children:
        inner = f"{path}.{_printable(key)}" if path else _printable(key)
        if isinstance(key, str) and not _is_text(key):
            problems[inner] = ["a name with an invalid character"]
            continue
        problems.update(json_problems(value, inner, depth + 1))
    return problems


class StrictJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(f"JSON nested more than {MAX_DEPTH} levels deep") from None
        problems = json_problems(data)
        if problems:
            raise ParseError(problems)
        return data


def whole_number(raw, *, name: str, minimum: int = 0, maximum: int = 2**63 - 1) -> int:
    """A JSON whole number or a string of digits, within the bounds; anything else (a
    fraction such as 2.7, true, an object) is a 400 naming ``name``, never rounded."""
    text = raw.strip() if isinstance(raw, str) else ""
    if text.isascii() and text.isdigit() and len(text) <= len(str(maximum)):
        raw = int(text)
    if isinstance(raw, bool) or not isinstance(raw, int) or not minimum <= raw <= maximum:
        raise ValidationError({name: [f"must be a whole number from {minimum} to {maximum}"]})
    return raw


# --- Fields --------------------------------------------------------------------------------
class _InRange:
    def _in_range(self, day: date):
        if not FIRST_DAY <= day <= LAST_DAY:
            raise ValidationError(
                f"must be between {FIRST_DAY:%d/%m/%Y} and {LAST_DAY:%d/%m/%Y}", code="out_of_range"
            )


class StrictDateField(_InRange, serializers.DateField):
    """A date from 1900 to 2100: earlier or later ones are typing mistakes, and some of
    them (0001-01-01) break date arithmetic on the cycle pages and the draw."""

    def to_internal_value(self, value):
        parsed = super().to_internal_value(value)
        self._in_range(parsed)
        return parsed


class StrictDateTimeField(_InRange, serializers.DateTimeField):
    def to_internal_value(self, value):
        parsed = super().to_internal_value(value)
        self._in_range(parsed.date())
        return parsed


def install_strict_fields() -> None:
    """Every ModelSerializer builds its date fields from these, so a new model field or a
    new serializer is covered without anyone remembering to (tests/test_bad_input_properties
    checks every writable field of the OpenAPI schema)."""
    mapping = serializers.ModelSerializer.serializer_field_mapping
    mapping[models.DateField] = StrictDateField
    mapping[models.DateTimeField] = StrictDateTimeField
