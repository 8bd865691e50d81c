"""Query parameters are checked, not guessed: a bad page size, offset or an empty filter
value gets a 400 naming the parameter, rather than a silently different list."""

from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import LimitOffsetPagination

MAX_PAGE = 500


class StrictLimitOffsetPagination(LimitOffsetPagination):
    max_limit = MAX_PAGE

    def _whole(self, request, name: str, minimum: int, maximum: int | None) -> int | None:
        raw = request.query_params.get(name)
        if raw is None:
            return None
        if not raw.isdigit() or int(raw) < minimum or (maximum is not None and int(raw) > maximum):
            bound = f" and at most {maximum}" if maximum is not None else ""
            raise ValidationError({name: [f"must be a whole number of at least {minimum}{bound}"]})
        return int(raw)

    def get_limit(self, request):
        limit = self._whole(request, self.limit_query_param, 1, MAX_PAGE)
        return self.default_limit if limit is None else limit

    def get_offset(self, request):
        return self._whole(request, self.offset_query_param, 0, 10**9) or 0


class StrictFilterBackend(DjangoFilterBackend):
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
