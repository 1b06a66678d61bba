from django import template

register = template.Library()


@register.filter
def bar(percent) -> int:
    """A progress bar's width: the percentage held between 0 and 100 (the number beside it may exceed 100)."""
    try:
        return max(0, min(100, int(percent)))
    except (TypeError, ValueError):
        return 0
