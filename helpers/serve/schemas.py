"""Request and response schemas of the API (pydantic): every option validated, every error a 422.

The decoding options' defaults are :data:`helpers.chatbot.DEFAULT_DECODING`, the same the bot uses.
Taught in: 06_deployment.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ..chatbot import DEFAULT_DECODING, MAX_CHARS, DecodeOptions

MAX_GENERATE = 1000  # characters one /api/generate call may ask for
MAX_START = 200  # characters of its start text
MAX_EMOJI = 10  # emoji one call may ask for
MAX_SEED = 2**31 - 1


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


def _message(description: str = "the message"):
    return Field(min_length=1, max_length=MAX_CHARS, description=f"{description}: 1 to {MAX_CHARS:,} characters")


class ChatRequest(Strict):
    message: str = _message()
    method: Literal["rank", "greedy", "beam", "sample"] | None = Field(
        None, description="rank (generate, then rank: the default when the bot has a selector), greedy, beam or sample"
    )
    beam_width: int = Field(DEFAULT_DECODING.beam_width, ge=1, le=8)
    temperature: float = Field(DEFAULT_DECODING.temperature, gt=0, le=2.0)
    top_k: int = Field(DEFAULT_DECODING.top_k, ge=0, le=200)
    seed: int = Field(DEFAULT_DECODING.seed, ge=0, le=MAX_SEED)
    max_len: int | None = Field(
        DEFAULT_DECODING.max_len, ge=1, le=100, description="reply tokens (capped by the model's limit)"
    )
    emoji: int = Field(3, ge=0, le=MAX_EMOJI, description="emoji to suggest for the reply")

    def options(self) -> DecodeOptions:
        """The request's decoding options (what the server batches by)."""
        return DecodeOptions(
            method=self.method,
            beam_width=self.beam_width,
            temperature=self.temperature,
            top_k=self.top_k,
            seed=self.seed,
            max_len=self.max_len,
        )


class EmojiScore(BaseModel):
    emoji: str
    score: float = Field(description="its probability for the message (the softmax of its mood, topic and habit terms)")
    name: str = Field("", description="the emoji's CLDR name")


class EmojiWhy(EmojiScore):
    mood: float = Field(description="how well its sentiment fits the message's (weighted term of the score)")
    topic: float = Field(description="how close it comes to the message's words (weighted term)")
    habit: float = Field(description="how often it is used at all (weighted term)")


#: How the emoji lists are ordered, for the schema's readers: not always by score.
EMOJI_ORDER = (
    "best first, in the suggester's order: a message of clear feeling leads with an emoji of that feeling, which may "
    "score lower than the next one (notebook 05, 'feeling first')"
)


class ChatResponse(BaseModel):
    reply: str
    kind: Literal["retrieved", "generated"] = Field(
        description="where the reply came from: retrieved, a real reply from the person's training chats said again; "
        "generated, written by the model (every reply of greedy, beam and sample)"
    )
    emoji: list[EmojiScore] = Field(description=f"emoji for the reply, {EMOJI_ORDER}")


class EmojiRequest(Strict):
    message: str = _message()
    k: int = Field(5, ge=1, le=MAX_EMOJI)
    why: bool = Field(False, description="also say why each emoji was chosen: its mood, topic and habit terms")


class EmojiResponse(BaseModel):
    emoji: list[EmojiWhy | EmojiScore] = Field(description=EMOJI_ORDER[:1].upper() + EMOJI_ORDER[1:])


class GenerateRequest(Strict):
    corpus: Literal["shakespeare", "python"] = "shakespeare"
    start: str = Field("ROMEO:", min_length=1, max_length=MAX_START)
    length: int = Field(200, ge=1, le=MAX_GENERATE)
    temperature: float = Field(0.8, ge=0, le=2.0, description="0 always picks the likeliest character")
    seed: int = Field(0, ge=0, le=MAX_SEED)


class GenerateResponse(BaseModel):
    corpus: str
    text: str


class Pair(BaseModel):
    model_config = ConfigDict(populate_by_name=True)
    in_: str = Field(alias="in")
    out: str


class BookResponse(BaseModel):
    data: list[Pair]
