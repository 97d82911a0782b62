"""What each act of the scenario asks of the platform.

Staff acts (the secretariat, the proposal desk) become commands for the ledger;
agencies' acts become signed messages for ``impact.submissions``, including the
mistakes agencies make (which the desk must reject). The runner sends them through
Kafka; the benchmarks hand them straight to the ledger and the desk.
"""

from collections.abc import Mapping
from datetime import date
from decimal import Decimal

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from impact.application import commands as c
from impact.domain.consortium import Member
from impact.domain.evidence import DocumentFacts
from impact.domain.proposal import ReviewComment
from impact.domain.scoring import POLICY_V2
from impact.ingest.client import routing_key, sign_submission
from impact.privacy import PersonalData, PersonalDataSealer
from impact.scenario.generator import Act
from impact.signing import AgencyKeyPair

SECRETARIAT = "consortium-secretariat"
PROPOSAL_DESK = "proposal-desk"
AGENCIES = ("KAMCO", "KIBO", "BPA", "HUG", "KOSPO", "KSD", "HF", "BNK")
"""Every agency that signs in the scenario: the seven founders and the eighth member."""

Message = tuple[str, bytes, bytes]
"""A message for ``impact.submissions``: a label, its routing key, its bytes."""


class ScenarioActs:
    """Turns acts into commands and messages, with the agencies' keys.

    ``keys`` are the keys the agencies sign with (in the demo, each from the agency's own
    folder: ``impact.agency_keys.played_agencies``); ``public_keys`` the public halves they
    handed to the secretariat (default: those of ``keys``), which the key acts register."""

    def __init__(
        self,
        keys: Mapping[str, AgencyKeyPair],
        sealer: PersonalDataSealer,
        public_keys: Mapping[str, Ed25519PublicKey] | None = None,
    ) -> None:
        self.keys = dict(keys)
        self.public_keys = dict(public_keys or {a: k.public for a, k in keys.items()})
        self.sealer = sealer

    def command(self, act: Act) -> c.Command | None:
        """The staff command of a staff act; None for agencies' acts, reviews and councils."""
        d, at = act.data, act.at
        if act.kind == "found":
            return c.FoundConsortium()
        if act.kind == "key.register":
            return c.RegisterKey.of_public_key(
                d["agency"],
                self.public_keys[d["agency"]],
                valid_from=at,
                actor=SECRETARIAT,
                occurred_at=at,
            )
        if act.kind == "member.join":
            member = Member(
                code=d["code"],
                name_ko=d["name_ko"],
                name_en=d["name_en"],
                joined_on=date.fromisoformat(d["joined_on"]),
            )
            return c.AdmitMember(member=member, actor="BUSAN", occurred_at=at)
        if act.kind == "proposal.submit":
            sealed = self.sealer.seal(
                d["subject_id"], PersonalData(name=d["name"], contact=d["contact"])
            )
            return c.SubmitProposal(
                code=d["code"],
                title=d["title"],
                text=d["text"],
                category=d["category"],
                channel=d["channel"],
                proposer=sealed,
                occurred_at=at,
            )
        if act.kind == "proposal.start_review":
            return c.StartProposalReview(
                code=d["code"], panel=tuple(d["panel"]), actor=PROPOSAL_DESK, occurred_at=at
            )
        if act.kind == "proposal.review":
            return c.RecordProposalReview(
                code=d["code"],
                scores={k: Decimal(v) for k, v in d["scores"].items()},
                comments=(ReviewComment(reviewer="전문가 패널", comment="검토 의견 기록"),),
                actor=PROPOSAL_DESK,
                occurred_at=at,
            )
        if act.kind == "proposal.adopt":
            return c.AdoptProposal(
                code=d["code"], task_code=d["task"], actor=PROPOSAL_DESK, occurred_at=at
            )
        if act.kind == "proposal.reject":
            return c.RejectProposal(
                code=d["code"], reason=d["reason"], actor=PROPOSAL_DESK, occurred_at=at
            )
        if act.kind == "proposal.merge":
            return c.MergeProposal(
                code=d["code"], into_code=d["into"], actor=PROPOSAL_DESK, occurred_at=at
            )
        if act.kind == "policy.adopt":
            policy = {2: POLICY_V2}[d["version"]]
            return c.AdoptPolicy(
                policy=policy, effective_from=d["effective_from"], actor="council", occurred_at=at
            )
        if act.kind == "evidence.register":
            document = DocumentFacts(
                sha256=d["sha256"], size=d["size"], media_type="application/pdf", title=d["title"]
            )
            return c.RegisterEvidence(
                document=document, owner=d["agency"], actor=d["agency"], occurred_at=at
            )
        if act.kind == "evidence.attest":
            return c.AttestEvidence(
                sha256=d["sha256"],
                attester=d["attester"],
                note="원본 대조 확인",
                actor=d["attester"],
                occurred_at=at,
            )
        return None

    def message(self, act: Act) -> Message | None:
        """The signed message of an agency's act (a mistake included); None for other acts."""
        if act.kind == "submission":
            submission = act.data["submission"]
            signed = sign_submission(self.keys[act.data["agency"]], submission)
            return submission["submission_id"], routing_key(submission), signed
        if act.kind == "bad_submission":
            return self._mistake(act)
        return None

    def _mistake(self, act: Act) -> Message:
        """A mistake an agency makes; the desk must reject it and keep everything else."""
        submission, agency, kind = act.data["submission"], act.data["agency"], act.data["expect"]
        own, sid = self.keys[agency], submission["submission_id"]
        if kind == "duplicate":
            message = sign_submission(own, submission)
        elif kind == "not_owner":
            other = self.keys[act.data["other"]]
            message = sign_submission(
                other, {**submission, "agency": other.agency, "submission_id": sid + "-x"}
            )
        elif kind == "value_out_of_range":
            negative = "-" + submission["value"].lstrip("-")
            message = sign_submission(
                own, {**submission, "value": negative, "submission_id": sid + "-neg"}
            )
        elif kind == "unknown_program":
            typo = submission["program_code"] + "9"
            message = sign_submission(
                own, {**submission, "program_code": typo, "submission_id": sid + "-typo"}
            )
        else:  # malformed_json: a truncated upload
            message = sign_submission(own, submission)[:-17]
        return f"bad:{kind}", routing_key(submission), message
