"""Compiled status-tree nodes and their rendering at a given tick (doc 3.9 node shape)."""

PENDING = "PENDING"
IN_PROGRESS = "IN_PROGRESS"
SUSPENDED = "SUSPENDED"
FINISHED = "FINISHED"


class Node:
    """One node of a task's status tree with its resolved timeline."""

    __slots__ = (
        "appear",
        "children",
        "details",
        "finish",
        "index",
        "messages",
        "name",
        "outcome",
        "pending_message",
        "progress",
        "running_message",
        "start",
        "suspend",
    )

    def __init__(self, name, appear, start, finish):
        self.name = name
        self.appear = appear
        self.start = start
        self.finish = finish
        self.outcome = "SUCCESS"
        self.messages = None
        self.running_message = None
        self.pending_message = None
        self.details = None
        self.progress = None
        self.suspend = None
        self.children = []
        self.index = {}

    def set_children(self, children):
        self.children = children
        self.index = {child.name: child for child in children}

    # -- state at a tick -------------------------------------------------------------------
    def visible(self, tick):
        return tick >= self.appear

    def status(self, tick):
        if tick < self.start:
            return PENDING
        if self.finish is None or tick < self.finish:
            if self.suspend is not None and tick >= self.suspend[0] and (self.suspend[1] is None or tick < self.suspend[1]):
                return SUSPENDED
            return IN_PROGRESS
        return FINISHED

    def fraction(self, tick):
        if self.finish is None or self.finish <= self.start:
            return 0.0
        return min(1.0, max(0.0, (tick - self.start) / (self.finish - self.start)))

    def message(self):
        if isinstance(self.messages, dict):
            by_outcome = {outcome.upper(): text for outcome, text in self.messages.items()}
            return by_outcome.get(self.outcome.upper())
        return self.messages

    def visible_children(self, tick):
        return [child for child in self.children if child.appear <= tick]

    def child(self, name, tick):
        child = self.index.get(name)
        if child is None or not child.visible(tick):
            return None
        return child

    # -- rendering -------------------------------------------------------------------------
    def fields(self, tick):
        """The node's own fields, without ``children``."""
        status = self.status(tick)
        data = {"status": status}
        if status == FINISHED:
            data["outcome"] = self.outcome
            message = self.message()
            if message is not None:
                data["message"] = message
            if self.details is not None:
                data["details"] = dict(self.details)
        elif status in (IN_PROGRESS, SUSPENDED):
            if self.running_message is not None:
                data["message"] = self.running_message
            data["progressDetails"] = self._progress(tick)
        elif self.pending_message is not None:
            data["message"] = self.pending_message
        return data

    def _progress(self, tick):
        if not self.progress:
            return {"isSupported": False}
        fraction = self.fraction(tick)
        steps = [{"name": step["name"], "total": step["total"], "processed": int(step["total"] * fraction)} for step in self.progress]
        return {"isSupported": True, "percent": int(fraction * 100), "data": steps}

    def render(self, tick):
        """The node with its whole visible subtree; ``children`` only where there are some."""
        data = self.fields(tick)
        children = self.visible_children(tick)
        if children:
            data["children"] = {child.name: child.render(tick) for child in children}
        return data

    # -- whole-tree helpers ----------------------------------------------------------------
    def find(self, names, tick):
        """Follow ``names`` from this node; ``None`` when a step is missing or not visible yet."""
        node = self
        for name in names:
            node = node.child(name, tick)
            if node is None:
                return None
        return node

    def walk(self):
        stack = [self]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children))
