"""xmlsec and lxml must carry the same libxml2, or `import xmlsec` fails ("lxml & xmlsec libxml2
library version mismatch") and every SAML sign-in with it: pyproject.toml pins the pair."""


def test_the_saml_library_imports_with_the_pinned_xmlsec_and_lxml():
    import lxml.etree
    import xmlsec
    from onelogin.saml2.auth import OneLogin_Saml2_Auth

    assert OneLogin_Saml2_Auth
    assert xmlsec.get_libxml_version() == lxml.etree.LIBXML_VERSION
