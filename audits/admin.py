from django.contrib import admin

from audits.models import (
    AccessLog,
    Allocation,
    ApiToken,
    Case,
    Conflict,
    Event,
    OpinionSettings,
    RetentionPolicy,
    Staff,
    Team,
)
from audits.services.opinion_settings import opinion_settings_save


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "service_area"]
    list_filter = ["service_area"]
    search_fields = ["name"]


@admin.register(Staff)
class StaffAdmin(admin.ModelAdmin):
    list_display = ["staff_ref", "name", "team", "capacity", "is_active"]
    list_filter = ["team", "is_active"]
    search_fields = ["staff_ref", "name"]
    filter_horizontal = ["managed_teams"]
    list_select_related = ["team"]
    raw_id_fields = ["user"]


class AllocationInline(admin.TabularInline):
    model = Allocation
    extra = 0
    raw_id_fields = ["staff"]


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    list_display = ["case_ref", "team", "case_type", "opened_on", "closed_on", "legal_hold"]
    list_filter = ["case_type", "team", "legal_hold"]
    search_fields = ["case_ref"]
    list_select_related = ["team"]
    raw_id_fields = ["worker", "manager"]
    inlines = [AllocationInline]


@admin.register(Conflict)
class ConflictAdmin(admin.ModelAdmin):
    list_display = ["auditor", "case", "worker", "reason", "declared_on"]
    raw_id_fields = ["auditor", "case", "worker"]
    list_select_related = ["auditor", "case", "worker"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "prefix", "created_at", "expires_at", "revoked_at"]
    readonly_fields = ["prefix", "key_hash", "created_at", "last_used_at"]
    raw_id_fields = ["user"]

    def has_add_permission(self, request):
        return False  # tokens are issued through the API so the raw key is shown once


class ReadOnlyAdmin(admin.ModelAdmin):
    """History is append-only: visible to administrators, never editable."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor", "verb", "object_type", "object_id"]
    list_filter = ["verb", "object_type"]


@admin.register(AccessLog)
class AccessLogAdmin(ReadOnlyAdmin):
    list_display = ["at", "user", "action", "object_type", "object_id"]
    list_filter = ["object_type"]


@admin.register(RetentionPolicy)
class RetentionPolicyAdmin(admin.ModelAdmin):
    list_display = ["record_type", "months", "legal_hold"]


@admin.register(OpinionSettings)
class OpinionSettingsAdmin(admin.ModelAdmin):
    """One row of thresholds for the organisation; each save leaves an Event."""

    list_display = [
        "__str__",
        "substantial_lower",
        "reasonable_lower",
        "limited_lower",
        "substantial_alpha",
        "completion_caveat",
        "unaudited_share_max",
        "updated_at",
    ]

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not OpinionSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False  # a report states the thresholds it used; change them, never remove

    def save_model(self, request, obj, form, change):
        opinion_settings_save(row=obj, actor=request.user)
