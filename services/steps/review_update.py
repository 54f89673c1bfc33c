"""HR checks a person's reported change (and may correct it first, Bình Định II.2.a)."""
from services.steps import review_entry
from services.steps.base import StepKind, require_comment_on_return
from services.steps.update_entry import revision_context

KIND = StepKind(
    name="review_update",
    title="Kiểm tra thông tin cập nhật",
    outcomes=review_entry.OUTCOMES,
    effect=review_entry.effect,
    prepare=require_comment_on_return("Ghi rõ lý do trả lại để cá nhân bổ sung."),
    page_context=revision_context,
    partial="tasks/_review_update.html",
)
