"""A stand-in for the parts of Streamlit the helpers and the example app use.

st.session_state and st.query_params behave as in Streamlit (mappings with attribute access);
a rerun is simulated by running the app script again; widgets answer from `inputs`.
"""
import contextlib
import types


class _AttrDict(dict):
    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name, value):
        self[name] = value

    def __delattr__(self, name):
        del self[name]


class RerunRequested(Exception):
    """st.rerun() was called."""


class FakeStreamlit(types.ModuleType):
    def __init__(self):
        super().__init__("streamlit")
        self.session_state = _AttrDict()
        self.query_params = _AttrDict()
        self.inputs = {}  # widget label or key -> what the user entered this run
        self.rendered = []  # what the app wrote, for assertions
        self.sidebar = contextlib.nullcontext()

    def new_browser_session(self, query_params=None):
        """A fresh tab: empty session_state, the given URL query parameters."""
        self.session_state = _AttrDict()
        self.query_params = _AttrDict(query_params or {})
        self.inputs = {}
        self.rendered = []

    # output
    def title(self, text):
        self.rendered.append(("title", text))

    def subheader(self, text):
        self.rendered.append(("subheader", text))

    def write(self, *values):
        self.rendered.append(("write",) + values)

    def caption(self, text):
        self.rendered.append(("caption", text))

    @contextlib.contextmanager
    def chat_message(self, role):
        self.rendered.append(("chat_message", role))
        yield self

    # input
    def chat_input(self, placeholder=None, key=None):
        return self.inputs.pop("chat_input", None)

    def data_editor(self, data, **kwargs):
        edited = self.inputs.pop("data_editor", None)
        return edited(data.copy()) if callable(edited) else data

    def selectbox(self, label, options, format_func=str, key=None):
        self.rendered.append(("selectbox", [format_func(option) for option in options]))
        chosen = self.inputs.pop(key or label, None)
        return chosen if chosen is not None else options[0]

    def button(self, label, key=None):
        return bool(self.inputs.pop(key or label, False))

    def rerun(self):
        raise RerunRequested()
