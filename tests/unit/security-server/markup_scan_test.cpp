#include "soap/markup_scan.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace xacbe::ss::soap {
namespace {

TEST(MarkupScan, PassesOrdinaryMarkupAndSkipsCommentsCdataAndInstructions) {
  const std::string xml =
      "<?xml version=\"1.0\"?><!-- <a b=1 c=2> --><r a=\"x>y\" b='=='><e/><f></f>"
      "<![CDATA[<g h=1 i=2 j=3>]]><?pi <k l=1 m=2>?></r>";
  EXPECT_TRUE(scan_markup(xml, 2, 2).is_ok()) << scan_markup(xml, 2, 2).to_string();
}

TEST(MarkupScan, CountsDepthAndAttributes) {
  EXPECT_TRUE(scan_markup("<a><b><c/></b></a>", 2, 0).is_ok());  // <c/> opens nothing
  EXPECT_FALSE(scan_markup("<a><b><c></c></b></a>", 2, 0).is_ok());
  EXPECT_TRUE(scan_markup("<a x='1' xmlns:y='u'/>", 1, 2).is_ok());
  EXPECT_FALSE(scan_markup("<a x='1' xmlns:y='u' z='2'/>", 1, 2).is_ok());
}

TEST(MarkupScan, RefusesDeclarationsAndUnterminatedMarkup) {
  const std::vector<std::string> bad = {
      "<!DOCTYPE a><a/>",
      "<!ENTITY x 'y'><a/>",
      "<a><!ELEMENT a ANY></a>",
      "<a><!-- x </a>",
      "<a><![CDATA[ x </a>",
      "<a><? x </a>",
      "<a",
      "<a x='>",
      "</a>",
      "<a></a></a>",
      "<a></a",
  };
  for (const auto& xml : bad) EXPECT_FALSE(scan_markup(xml, 64, 64).is_ok()) << xml;
}

}  // namespace
}  // namespace xacbe::ss::soap
