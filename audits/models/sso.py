"""Single sign-on: the administrators' table of which identity-provider group gives which
role and team, and the link between a login and the provider's subject it signs in as."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from audits.core import roles
from audits.core.display import role_words
from audits.models.register import Team


class GroupMapping(models.Model):
    """One group of the identity provider, and what membership of it gives in CaseAssure.
    A person's roles and teams are set from these rows at every sign-in: a group taken away
    at the provider takes its role away at the next one."""

    group = models.CharField(
        max_length=255,
        db_index=True,
        help_text="The group as the provider sends it: for Microsoft Entra ID, the group's "
        "object ID; for other providers, often the group's name.",
    )
    label = models.CharField(
        max_length=200, blank=True, help_text="A name people recognise, such as the group's name."
    )
    role = models.CharField(
        max_length=30,
        blank=True,
        choices=[(name, role_words(name)) for name in roles.ALL_ROLES],
        help_text="The role membership gives. Leave empty for a team only.",
    )
    team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="group_mappings",
        help_text="The team membership gives. Leave empty for a role only.",
    )
    manages = models.BooleanField(
        default=False,
        help_text="Members manage this team (they moderate and draw its cycles) rather than "
        "belong to it.",
    )

    class Meta:
        ordering = ["group", "role"]
        verbose_name = "single sign-on group"
        verbose_name_plural = "single sign-on groups"
        constraints = [
            models.CheckConstraint(
                condition=~Q(role="") | Q(team__isnull=False),
                name="group_mapping_gives_something",
                violation_error_message="Give the group a role, a team, or both.",
            ),
            # Two constraints, since NULLs differ in a unique index: with a team, and without.
            models.UniqueConstraint(
                fields=["group", "role", "team", "manages"],
                condition=Q(team__isnull=False),
                name="group_mapping_unique",
                violation_error_message="This group already gives that.",
            ),
            models.UniqueConstraint(
                fields=["group", "role"],
                condition=Q(team__isnull=True),
                name="group_mapping_unique_role",
                violation_error_message="This group already gives that role.",
            ),
        ]

    def __str__(self) -> str:
        gives = [role_words(self.role) if self.role else ""]
        if self.team_id:
            gives.append(("manages " if self.manages else "member of ") + self.team.name)
        return f"{self.label or self.group}: " + ", ".join(part for part in gives if part)


class SingleSignOnIdentity(models.Model):
    """The provider's subject a login signs in as. Found by (issuer, subject), never by the
    email address, which people can change at the provider."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sso_identity"
    )
    issuer = models.CharField(max_length=255)
    subject = models.CharField(max_length=255)
    first_signed_in = models.DateTimeField(auto_now_add=True)
    last_signed_in = models.DateTimeField(null=True, blank=True)
    groups = models.JSONField(default=list, blank=True, help_text="At the last sign-in.")

    class Meta:
        verbose_name = "single sign-on identity"
        verbose_name_plural = "single sign-on identities"
        constraints = [
            models.UniqueConstraint(fields=["issuer", "subject"], name="sso_identity_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} at {self.issuer}"
