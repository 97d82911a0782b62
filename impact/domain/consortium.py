"""The consortium: member agencies with dates, their signing keys, and the council."""

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Literal, NamedTuple
from uuid import UUID

from eventsourcing.domain import event
from pydantic import Field

from impact.domain.base import Aggregate, Model, natural_id
from impact.domain.quarter import QuarterText
from impact.domain.scoring import ScoringPolicy
from impact.errors import AlreadyExistsError, NotAMemberError, NotFoundError

AgencyCode = str
MemberKind = Literal["agency", "city"]


class Member(Model):
    code: AgencyCode = Field(pattern=r"^[A-Z][A-Z0-9]{1,15}$")
    name_ko: str = Field(min_length=1, max_length=200)
    name_en: str = Field(min_length=1, max_length=200)
    kind: MemberKind = "agency"
    joined_on: date
    left_on: date | None = None

    def active_on(self, day: date) -> bool:
        return self.joined_on <= day and (self.left_on is None or day < self.left_on)


class AgencyKey(Model):
    agency: AgencyCode
    key_id: str = Field(min_length=1, max_length=128)
    public_key: str = Field(description="Ed25519 public key, base64 of the 32 raw bytes.")
    valid_from: datetime
    revoked_at: datetime | None = None

    def valid_at(self, moment: datetime) -> bool:
        return self.valid_from <= moment and (self.revoked_at is None or moment < self.revoked_at)


class AdoptedPolicy(NamedTuple):
    """A scoring policy as adopted: from which quarter, and when the adoption was recorded."""

    effective_from: QuarterText
    policy: ScoringPolicy
    recorded_at: datetime | None = None


def policy_in_force(
    adopted: Sequence[AdoptedPolicy], quarter: str, as_of: datetime | None = None
) -> ScoringPolicy:
    """The policy in force for ``quarter``, as known at ``as_of`` (default: all adopted).

    * Only policies recorded by ``as_of`` count (one recorded at ``as_of`` exactly does);
      a policy with no recorded time counts only when no ``as_of`` is asked.
    * Among them, those whose first quarter is ``quarter`` or earlier are in force;
      the one that starts latest wins, and of two starting in the same quarter the
      one adopted later (later in ``adopted``, which is in the order of adoption).
    """
    known = [
        (a.effective_from, n, a.policy)
        for n, a in enumerate(adopted)
        if as_of is None or (a.recorded_at is not None and a.recorded_at <= as_of)
    ]
    in_force = [k for k in known if k[0] <= quarter]
    if in_force:
        return max(in_force, key=lambda k: (k[0], k[1]))[2]
    raise NotFoundError(
        f"no scoring policy is in force for {quarter}"
        + ("" if as_of is None else f" as of {as_of.isoformat()}")
        + f": {_why_none(adopted, known)}; "
        "adopt one first (`impact init`, or the first `impact review`, adopts v1)"
    )


def _why_none(adopted: Sequence[AdoptedPolicy], known: list[tuple[str, int, ScoringPolicy]]) -> str:
    if known:
        return f"the earliest policy adopted applies from {min(k[0] for k in known)}"
    if not adopted:
        return "none has been adopted"
    recorded = [a.recorded_at for a in adopted if a.recorded_at is not None]
    first = f" (the first was recorded at {min(recorded).isoformat()})" if recorded else ""
    return f"none had been adopted by then{first}"


FOUNDED_ON = date(2018, 11, 28)
DECLARED_AT = datetime(2018, 11, 28, 10, 0, tzinfo=UTC)
"""When the seven institutions and Busan City signed the declaration."""

FOUNDING_MEMBERS: tuple[Member, ...] = tuple(
    Member(code=code, name_ko=ko, name_en=en, kind=kind, joined_on=FOUNDED_ON)  # type: ignore[arg-type]
    for code, ko, en, kind in (
        ("KAMCO", "한국자산관리공사", "Korea Asset Management Corporation", "agency"),
        ("KIBO", "기술보증기금", "Korea Technology Finance Corporation", "agency"),
        ("BPA", "부산항만공사", "Busan Port Authority", "agency"),
        ("HUG", "주택도시보증공사", "Korea Housing & Urban Guarantee Corporation", "agency"),
        ("KOSPO", "한국남부발전", "Korea Southern Power", "agency"),
        ("KSD", "한국예탁결제원", "Korea Securities Depository", "agency"),
        ("HF", "한국주택금융공사", "Korea Housing Finance Corporation", "agency"),
        ("BUSAN", "부산광역시", "Busan Metropolitan City", "city"),
    )
)


class Consortium(Aggregate):
    """There is one consortium; its id is fixed."""

    kind = "consortium"

    class Founded(Aggregate.Created):
        members: tuple[Member, ...]

    class MemberJoined(Aggregate.Event):
        member: Member

    class MemberLeft(Aggregate.Event):
        code: AgencyCode
        left_on: date

    class KeyRegistered(Aggregate.Event):
        key: AgencyKey

    class KeyRevoked(Aggregate.Event):
        agency: AgencyCode
        key_id: str
        revoked_at: datetime

    class PolicyAdopted(Aggregate.Event):
        """The council adopts a version of the promotion-score policy for quarters from one on."""

        policy: ScoringPolicy
        effective_from: QuarterText

    @staticmethod
    def create_id(**_: object) -> UUID:
        return natural_id("consortium", "busan")

    @event(Founded)
    def __init__(self, members: tuple[Member, ...], occurred_at: datetime, actor: str) -> None:
        self.members: dict[str, Member] = {m.code: m for m in members}
        self.keys: dict[tuple[str, str], AgencyKey] = {}
        self.policies: list[tuple[str, ScoringPolicy]] = []

    @classmethod
    def found(cls, occurred_at: datetime, actor: str) -> "Consortium":
        """The consortium as the 2018 declaration founded it: seven agencies and Busan City."""
        return cls(members=FOUNDING_MEMBERS, occurred_at=occurred_at, actor=actor)

    # -- commands ---------------------------------------------------------------

    def admit(self, member: Member, occurred_at: datetime, actor: str) -> None:
        if member.code in self.members:
            raise AlreadyExistsError(f"{member.code} is already a member of the consortium")
        self._member_joined(member=member, occurred_at=occurred_at, actor=actor)

    def retire(self, code: str, left_on: date, occurred_at: datetime, actor: str) -> None:
        member = self.member(code)
        if member.left_on is not None:
            raise NotAMemberError(f"{code} already left the consortium on {member.left_on}")
        if left_on < member.joined_on:
            raise NotAMemberError(f"{code} cannot leave on {left_on}, before it joined")
        self._member_left(code=code, left_on=left_on, occurred_at=occurred_at, actor=actor)

    def register_key(self, key: AgencyKey, occurred_at: datetime, actor: str) -> None:
        self.member(key.agency)
        if (key.agency, key.key_id) in self.keys:
            raise AlreadyExistsError(f"key {key.key_id} of {key.agency} is already registered")
        owners = sorted({a for a, k in self.keys if k == key.key_id})
        if owners:
            raise AlreadyExistsError(
                f"key {key.key_id} is registered to {owners[0]}; "
                f"{key.agency} must generate a key of its own"
            )
        self._key_registered(key=key, occurred_at=occurred_at, actor=actor)

    def revoke_key(
        self, agency: str, key_id: str, revoked_at: datetime, occurred_at: datetime, actor: str
    ) -> None:
        if (agency, key_id) not in self.keys:
            raise NotFoundError(f"{agency} has no key {key_id}; list its keys first")
        revoked = self.keys[(agency, key_id)].revoked_at
        if revoked is not None:
            raise AlreadyExistsError(
                f"key {key_id} of {agency} was already revoked at {revoked.isoformat()}"
            )
        self._key_revoked(
            agency=agency,
            key_id=key_id,
            revoked_at=revoked_at,
            occurred_at=occurred_at,
            actor=actor,
        )

    def adopt_policy(
        self, policy: ScoringPolicy, effective_from: str, occurred_at: datetime, actor: str
    ) -> None:
        if any(p.version == policy.version for _, p in self.adopted_policies()):
            raise AlreadyExistsError(
                f"scoring policy v{policy.version} was already adopted; give the new one a new version"
            )
        self._policy_adopted(
            policy=policy, effective_from=effective_from, occurred_at=occurred_at, actor=actor
        )

    # -- queries ----------------------------------------------------------------

    def adopted_policies(self) -> list[tuple[str, ScoringPolicy]]:
        return list(self.policies)

    def policy_for(self, quarter: str) -> ScoringPolicy:
        """The policy in force for a quarter (``policy_in_force``, over every adopted one)."""
        return policy_in_force([AdoptedPolicy(q, p) for q, p in self.policies], quarter)

    def member(self, code: str) -> Member:
        try:
            return self.members[code]
        except KeyError:
            known = ", ".join(sorted(self.members))
            raise NotAMemberError(
                f"{code} is not a member of the consortium (members: {known})"
            ) from None

    def check_active(self, code: str, on: date, kinds: tuple[str, ...] = ("agency",)) -> Member:
        member = self.member(code)
        if member.kind not in kinds:
            raise NotAMemberError(f"{code} is a {member.kind} member; only {kinds} may do this")
        if not member.active_on(on):
            if on < member.joined_on:
                raise NotAMemberError(f"{code} joined on {member.joined_on}; it cannot act on {on}")
            raise NotAMemberError(
                f"{code} left the consortium on {member.left_on}; it cannot act on {on}"
            )
        return member

    def agencies_on(self, day: date) -> list[str]:
        return sorted(c for c, m in self.members.items() if m.kind == "agency" and m.active_on(day))

    def keys_valid_at(self, agency: str, moment: datetime) -> list[AgencyKey]:
        return [k for (a, _), k in sorted(self.keys.items()) if a == agency and k.valid_at(moment)]

    # -- mutators ---------------------------------------------------------------

    @event(MemberJoined)
    def _member_joined(self, member: Member, occurred_at: datetime, actor: str) -> None:
        self.members[member.code] = member

    @event(MemberLeft)
    def _member_left(self, code: str, left_on: date, occurred_at: datetime, actor: str) -> None:
        self.members[code] = self.members[code].model_copy(update={"left_on": left_on})

    @event(KeyRegistered)
    def _key_registered(self, key: AgencyKey, occurred_at: datetime, actor: str) -> None:
        self.keys[(key.agency, key.key_id)] = key

    @event(PolicyAdopted)
    def _policy_adopted(
        self, policy: ScoringPolicy, effective_from: str, occurred_at: datetime, actor: str
    ) -> None:
        self.policies.append((effective_from, policy))

    @event(KeyRevoked)
    def _key_revoked(
        self, agency: str, key_id: str, revoked_at: datetime, occurred_at: datetime, actor: str
    ) -> None:
        old = self.keys[(agency, key_id)]
        self.keys[(agency, key_id)] = old.model_copy(update={"revoked_at": revoked_at})
